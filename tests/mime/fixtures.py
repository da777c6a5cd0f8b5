"""The messages of the reference sessions (as stored on disk: LF line ends)."""

from __future__ import annotations

SIMPLE = b"""\
From: Alice Example <alice@example.org>
To: Bench <bench@example.com>
Subject: Hello world
Date: Mon, 07 Feb 1994 21:52:25 -0800
Message-ID: <simple1@example.org>

Hello Bench, this is the body of a simple message.
Second line with the word zebra.
"""

MULTI = b"""\
From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <jurgen@example.de>
To: bench@example.com, Carol <carol@example.net>
Cc: dave@example.net
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=
Date: Tue, 01 Mar 2022 10:00:00 +0100
Message-ID: <multi1@example.de>
In-Reply-To: <simple1@example.org>
References: <simple1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="BOUNDARY42"

This is a multi-part message in MIME format.
--BOUNDARY42
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Hallo, sch=C3=B6ne Gr=C3=BC=C3=9Fe. The attachment is below.
--BOUNDARY42
Content-Type: application/octet-stream; name="data.bin"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="data.bin"

AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
--BOUNDARY42--
"""

REPLY = (
    b"""\
From: bob@example.com
To: bench@example.com
Subject: Re: Hello world
Date: Wed, 02 Mar 2022 12:00:00 +0000
Message-ID: <third@example.com>
In-Reply-To: <simple1@example.org>
References: <simple1@example.org>

"""
    + b"x" * 3000
    + b"\n"
)

#: The three messages of the SEARCH/SORT/THREAD sessions, in mailbox order.
SEARCH_MAILBOX = [SIMPLE, MULTI, REPLY]

#: Two messages for SEARCH matching rules (decoding, charsets, which parts are searched).
SEARCH_RULES = [
    (
        b"From: =?iso-8859-1?q?J=FCrgen?= <j@example.org>\n"
        b"To: Team: a@x.org, b@y.org;\n"
        b"Subject: =?iso-8859-1?q?caf=E9?= time\n"
        b"X-Thing: =?utf-8?b?w6TDtsO8?=\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=b\n"
        b"\n"
        b"--b\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: base64\n"
        b"\n"
        b"R2Vyw6R1c2NoIGltIEdhcnRlbg==\n"
        b"--b\n"
        b"Content-Type: text/html; charset=iso-8859-1\n"
        b"Content-Transfer-Encoding: quoted-printable\n"
        b"\n"
        b"<b>Stra=DFe</b> fin=\n"
        b"ished\n"
        b"--b\n"
        b"Content-Type: application/octet-stream\n"
        b"Content-Transfer-Encoding: base64\n"
        b"\n"
        b"aGlkZGVuIHNlY3JldA==\n"
        b"--b\n"
        b"Content-Type: message/rfc822\n"
        b"\n"
        b"Subject: inner subj\n"
        b"\n"
        b"innerbody words\n"
        b"--b--\n"
    ),
    (b"From: a@b\nSubject: plain\n\nthe word Stra\xdfe latin1 and caf\xc3\xa9 utf8\n"),
]
