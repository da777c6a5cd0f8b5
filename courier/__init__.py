"""courier-imap: IMAP and POP3 over Maildir++, compatible with Courier-IMAP."""

__version__ = "0.1.0"
