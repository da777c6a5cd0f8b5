"""Maildir++ storage compatible with Courier-IMAP (see courier.storage for the interface).

Import cost matters (one process per connection): the store is imported on first use.
"""

from __future__ import annotations

from .settings import MaildirSettings, settings_from_config

TYPE_CHECKING = False  # not typing's (imported before the greeting)
if TYPE_CHECKING:
    from .store import MaildirStore

__all__ = ["MaildirSettings", "open_store", "settings_from_config"]


def open_store(maildir: str, settings: MaildirSettings | None = None) -> MaildirStore:
    """The user's mail store at ``maildir`` (raises courier.storage.NoSuchFolder if it is not a maildir)."""
    from .store import MaildirStore

    return MaildirStore(maildir, settings)
