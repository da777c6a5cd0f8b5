"""The CAPABILITY list, built as Courier builds it; cheap to import (the greeting needs it)."""

from __future__ import annotations

from courier.imap.settings import ImapSettings

GREETING_TEXT = (
    "Courier-IMAP ready. Copyright 1998-2019 Double Precision, Inc.  "
    "See COPYING for distribution information."
)


def capabilities(
    settings: ImapSettings,
    tls: bool,
    authenticated: bool,
    starttls_available: bool,
    external: bool = False,
) -> list[str]:
    """IMAP_CAPABILITY (IMAP_CAPABILITY_TLS once encrypted), ACL ACL2=UNION if IMAP_ACL, then
    STARTTLS before login when it is configured and a TLS engine is attached, then
    XCOURIEROUTBOX and XMAGICTRASH when set, then ENABLE UTF8=ACCEPT, then ID if configured."""
    caps = (settings.capability_tls if tls else settings.capability).split()
    if settings.acl:
        caps += ["ACL", "ACL2=UNION"]
    if external and "AUTH=EXTERNAL" not in caps:
        caps.append("AUTH=EXTERNAL")  # a verified client certificate names the account
    if not authenticated:
        if starttls_available and settings.starttls and not tls:
            caps.append("STARTTLS")
        if settings.tls_required and not tls:
            caps.append("LOGINDISABLED")
    if settings.outbox:
        caps.append("XCOURIEROUTBOX=INBOX" + settings.outbox)  # Courier writes the value as set
    if settings.move_expunge_to_trash:
        caps.append("XMAGICTRASH")
    caps += ["ENABLE", "UTF8=ACCEPT"]
    if settings.id_fields:
        caps.append("ID")
    return caps


def greeting(settings: ImapSettings, tls: bool, starttls_available: bool) -> bytes:
    caps = " ".join(capabilities(settings, tls, False, starttls_available))
    return f"* OK [CAPABILITY {caps}] {GREETING_TEXT}\r\n".encode()
