"""The IMAP commands, one small module per group; importing this registers them all."""

from __future__ import annotations


def load() -> None:
    from courier.imap.commands import (  # noqa: F401
        acl,
        append,
        auth,
        basic,
        fetch,
        folders,
        idle,
        quota,
        search,
        selected,
    )
