from __future__ import annotations

import pytest

from courier.maildir import MaildirSettings, settings_from_config


def test_defaults_match_debian() -> None:
    s = settings_from_config({})
    assert s == MaildirSettings(keywords=1, uselocks=True, trash_quota=False, trash_folder="Trash")


def test_values() -> None:
    s = settings_from_config(
        {
            "IMAP_KEYWORDS": "2",
            "IMAP_USELOCKS": "0",
            "IMAP_UMASK": "027",
            "IMAP_TRASHQUOTA": "1",
            "IMAP_TRASHFOLDERNAME": "Deleted",
        },
        quota="1000S",
    )
    assert (s.keywords, s.uselocks, s.umask, s.trash_quota, s.trash_folder, s.quota) == (
        2, False, 0o027, True, "Deleted", "1000S",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("var", "value"), [("IMAP_KEYWORDS", "yes"), ("IMAP_UMASK", "9x"), ("IMAP_TRASHFOLDERNAME", "a/b")]
)
def test_bad_values_name_the_variable(var: str, value: str) -> None:
    with pytest.raises(ValueError, match=var):
        settings_from_config({var: value})
