"""Password change for a userdb account (authdaemond's PASSWD request), as authlib does it.

authlib's rules: the account's ``<service>pw`` is changed if it has one,
otherwise ``systempw``, after checking the old password against it; every
``hmac-*pw`` state that matches the old password is replaced as well, so CRAM
logins follow.  The edit goes to the source file the account came from (the
``_`` field makeuserdb stores) through the same locked rewrite as ``userdb``,
and the databases are then rebuilt with makeuserdb.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from courier.userdb.compile import makeuserdb
from courier.userdb.cryptgen import crypt_hash, hmac_states
from courier.userdb.dat import UserdbDat
from courier.userdb.edit import resolve, set_fields
from courier.userdb.record import Field

_HMACS = ("md5", "sha1", "sha256")


class ChangeError(Exception):
    """The account exists and the old password was right, but the files could not be changed."""


def _bad(text: str) -> bool:
    # authlib refuses these in the service name, the login and both passwords
    return any(ord(c) < 32 or c in "|='\"" for c in text)


def change_password(
    source: str,
    name: str,
    service: str,
    old: str,
    new: str,
    verify: Callable[[str, str], bool],
    *,
    scheme: str = "yescrypt",
) -> bool:
    """Change ``name``'s password; False if the account is unknown or ``old`` is wrong.

    ``source`` is the userdb source (``/etc/courier/userdb``, a file or a
    directory); the databases are ``source.dat`` and ``sourceshadow.dat``.
    ``verify(password, stored)`` checks a stored (crypted) password.  Raises
    ChangeError when the edit or the rebuild fails.
    """
    if _bad(name) or "/" in name or _bad(service) or _bad(old) or _bad(new) or not new:
        return False
    base = source.rstrip("/")
    with UserdbDat(base + ".dat") as db:
        public = db.lookup(name)
    with UserdbDat(base + "shadow.dat") as db:
        secret = db.lookup(name)
    if public is None or secret is None:
        return False

    updates: list[Field] = []
    field = f"{service}pw" if f"{service}pw" in secret else "systempw"
    stored = secret.get(field)
    if stored is not None:
        if not verify(old, stored):
            return False
        updates.append((field, crypt_hash(new, scheme)))
    for digest in _HMACS:
        state = secret.get(f"hmac-{digest}pw")
        if state is not None and state == hmac_states(old, digest):
            updates.append((f"hmac-{digest}pw", hmac_states(new, digest)))
    if not updates:
        return False

    location = public.get("_", "")
    target = resolve(base, f"{location}{name}" if location else name, None)
    try:
        set_fields(target, updates)
        makeuserdb(base)
    except Exception as e:  # the edit itself is atomic; report what failed
        raise ChangeError(f"{target.path}: {e}") from e
    return True


def default_source(config_dir: str = "/etc/courier") -> str:
    return os.path.join(config_dir, "userdb")
