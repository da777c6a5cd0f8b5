"""Stored password forms authlib accepts, checked in constant time.

* crypt(3) strings (``$y$``, ``$gy$``, ``$7$``, ``$6$``, ``$5$``, ``$2b$``, ``$1$``,
  bare DES) and ``{CRYPT}...``: libxcrypt (courier.auth.xcrypt);
* ``{MD5}`` ``{MD5RAW}`` ``{SHA}`` ``{SSHA}`` ``{SMD5}`` ``{SSHA256}`` ``{SSHA512}``:
  libpass; ``{SHA256}`` and ``{SHA512}`` (unsalted, which libpass lacks): hashlib.

``{PLAIN}`` is refused, as authlib does: a stored password is never clear text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from courier.auth import xcrypt

# authpasswd's method names (Courier's), mapped to the scheme they write.
AUTHPASSWD_METHODS = ("md5", "md5raw", "sha", "ssha", "sha256", "sha512")


def _scheme(stored: str) -> tuple[str, str]:
    if stored.startswith("{"):
        end = stored.find("}")
        if end > 0:
            return stored[1:end].upper(), stored[end + 1 :]
    return "", stored


def _unsalted_b64(payload: str, clear: bytes, algo: str) -> bool:
    try:
        want = base64.b64decode(payload.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return False
    return hmac.compare_digest(hashlib.new(algo, clear).digest(), want)


def _libpass(handler_name: str, clear: str, stored: str) -> bool:
    import passlib.hash

    handler = getattr(passlib.hash, handler_name)
    try:
        return bool(handler.verify(clear, stored))
    except (ValueError, TypeError):
        return False


_LIBPASS = {
    "MD5": "ldap_md5",
    "SHA": "ldap_sha1",
    "SSHA": "ldap_salted_sha1",
    "SMD5": "ldap_salted_md5",
    "SSHA256": "ldap_salted_sha256",
    "SSHA512": "ldap_salted_sha512",
}


def verify(clear: str, stored: str) -> bool:
    """True if ``clear`` matches the stored password ``stored`` (any accepted form)."""
    if not stored or not clear:
        return False
    scheme, payload = _scheme(stored)
    clear_b = clear.encode("utf-8", "surrogateescape")
    if scheme == "":
        return xcrypt.verify(clear, stored)
    if scheme == "CRYPT":
        return xcrypt.verify(clear, payload)
    if scheme == "MD5RAW":
        return hmac.compare_digest(hashlib.md5(clear_b).hexdigest(), payload.lower())
    if scheme == "SHA256":
        return _unsalted_b64(payload, clear_b, "sha256")
    if scheme == "SHA512":
        return _unsalted_b64(payload, clear_b, "sha512")
    handler = _LIBPASS.get(scheme)
    if handler is None:
        return False
    # libpass wants the scheme in its canonical case.
    return _libpass(handler, clear, "{" + scheme + "}" + payload)


def make(clear: str, method: str = "") -> str:
    """A stored form of ``clear`` as Courier's authpasswd writes it.

    ``""`` = ``$1$`` md5-crypt (authpasswd's default), ``md5``, ``md5raw``, ``sha``,
    ``ssha``, ``sha256``, ``sha512``; crypt prefixes such as ``$y$`` or ``$6$`` are
    also accepted.  Unknown names fall back to ``{SSHA}`` as authpasswd does.
    """
    clear_b = clear.encode("utf-8", "surrogateescape")
    m = method.lower()
    if m == "":
        return xcrypt.hash_password(clear, "$1$")
    if m.startswith("$") or m == "des":
        return xcrypt.hash_password(clear, "" if m == "des" else m)
    if m == "md5raw":
        return "{MD5RAW}" + hashlib.md5(clear_b).hexdigest()
    if m in ("sha256", "sha512"):
        return "{" + m.upper() + "}" + base64.b64encode(hashlib.new(m, clear_b).digest()).decode()
    import passlib.hash

    if m == "md5":
        return str(passlib.hash.ldap_md5.hash(clear))
    if m == "sha":
        return str(passlib.hash.ldap_sha1.hash(clear))
    return str(passlib.hash.ldap_salted_sha1.hash(clear))
