"""libxcrypt through ctypes: settings it rejects, and NUL bytes that must never truncate."""

from __future__ import annotations

import pytest

from courier.auth import xcrypt


def test_invalid_settings_and_nul() -> None:
    assert xcrypt.crypt(b"pw", b"$9$nonsense") is None
    assert xcrypt.crypt(b"pw\x00rest", b"$1$salt") is None  # C would see only "pw"
    assert not xcrypt.verify("pw", "*")
    assert not xcrypt.verify("pw", "!$y$j9T$abc")  # a locked shadow entry
    with pytest.raises(ValueError):
        xcrypt.gensalt("$unknown$")


def test_rounds_and_des_salt() -> None:
    h = xcrypt.hash_password("pw", "$6$", rounds=6000)
    assert h.startswith("$6$rounds=6000$") and xcrypt.verify("pw", h)
    assert len(xcrypt.gensalt("")) == 2
