"""Message content for IMAP: structure by byte offsets, FETCH data, SEARCH, SORT, THREAD.

Nothing is imported here (keep the connection path lazy); import the modules:

FETCH::

    from courier.mime.message import Message
    with Message.open(path) as m:          # bytes for small files, mmap for big ones
        m.size                             # RFC822.SIZE (every LF counted as CRLF)
        m.envelope(utf8=False)             # ENVELOPE as plain data (None = NIL)
        m.bodystructure()                  # BODYSTRUCTURE; bodystructure(extensible=False) = BODY
        sec = m.section((2, 1), "MIME")    # BODY[2.1.MIME]; kinds: "", HEADER, HEADER.FIELDS,
                                           # HEADER.FIELDS.NOT (fields=[...]), TEXT, MIME
        sec.size                           # literal size (CRLF), for a partial: clip yourself
        for chunk in sec.chunks(offset, length):   # CRLF bytes, about 64 KiB at a time
            ...

    Message(data) works on bytes already in memory (e.g. an APPEND literal).
    A missing part gives an empty section.  ``utf8=True`` returns UTF-8 text
    instead of Courier's ``=?utf-8?B?...?=`` words for raw 8-bit headers (UTF8=ACCEPT).

SEARCH (needles are str, decoded from the SEARCH CHARSET by the caller)::

    from courier.mime.search import header_matches, body_matches, text_matches
    header_matches(m.root.fields, "from", "jürgen")   # FROM/TO/CC/BCC/SUBJECT/HEADER x
    body_matches(m.buf, m.root, "needle")             # BODY
    text_matches(m.buf, m.root, "needle")             # TEXT

Per-message summary (cacheable; SENTON/SENTBEFORE/SENTSINCE, SORT, THREAD)::

    from courier.mime.summary import Summary, summarize
    s = summarize(m.buf)            # or summarize_entity(m.buf, m.root)
    s.envelope, s.bodystructure, s.body(), s.size
    s.sent_day                      # (y, m, d) of the Date header as written, or None
    data = s.to_data()              # lists/str/int/float/None: json/marshal-friendly
    Summary.from_data(data)         # None if from another VERSION or damaged
    from courier.mime.search import text_contains
    text_contains(s.from_, "alice") # FROM etc. from the record (decoded text)

Per-folder cache of summaries (the caller picks the file, the keys and its own columns;
no maildir knowledge)::

    from courier.mime.cache import SummaryCache
    c = SummaryCache(path, ("env",), lambda s: (wire(s.envelope),))  # columns made at parse time
    c.load()                                      # a foreign-owned or damaged file counts as empty
    s = c.summary(key, (size, mtime_ns), file)    # cached, or parsed now and remembered
    c.value(key, stamp, file, c.column_of("env")) # one column's bytes, parsing if need be
    c.column(key, stamp, 1)                       # ... or None when not cached / stale
    c.save(keep=live_keys)                        # atomic replace; drops expunged keys

SORT / THREAD (pure functions; seq may be sequence numbers or UIDs)::

    from courier.mime.sort import sort_messages
    sort_messages([s.sort_data(seq, internaldate) ...], [("DATE", False), ("SIZE", True)])
    from courier.mime.thread import references, orderedsubject, format_threads
    "* THREAD " + format_threads(references([s.thread_data(seq, internaldate) ...]))

Header text: ``courier.mime.decode.decode_header`` (RFC 2047, any charset Python
knows); dates: ``courier.mime.dates.parse_date``.
"""
