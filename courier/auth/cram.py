"""CRAM-MD5 / CRAM-SHA1 / CRAM-SHA256 against authlib's precomputed HMAC states.

userdb's ``hmac-md5pw`` (``hmac-sha1pw``, ``hmac-sha256pw``) fields hold no
password: they hold the hash function's internal state after absorbing the
key XOR opad block, followed by the state after key XOR ipad, in hex (the
state words written the way the digest would be; outer first, as
``userdbpw -hmac-md5`` writes it).  Checking a response means
resuming both hashes from those states (courier.userdb.hmacstate, shared with
userdbpw, which makes them).
"""

from __future__ import annotations

import hmac

# Re-exported: callers make and check states through this module.
from courier.userdb.hmacstate import hmac_from_state as hmac_from_state
from courier.userdb.hmacstate import precompute as precompute

#: SASL / authdaemon authtype -> (hash name, userdb field)
AUTHTYPES = {
    "cram-md5": ("md5", "hmac-md5pw"),
    "cram-sha1": ("sha1", "hmac-sha1pw"),
    "cram-sha256": ("sha256", "hmac-sha256pw"),
}


def split_response(authdata: bytes) -> tuple[bytes, str, str] | None:
    """authdaemon CRAM authdata ``b64(challenge)\\nb64(response)\\n`` -> (challenge, user, hexdigest)."""
    import base64
    import binascii

    parts = authdata.split(b"\n")
    if len(parts) < 2:
        return None
    try:
        challenge = base64.b64decode(parts[0], validate=True)
        response = base64.b64decode(parts[1], validate=True).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        return None
    user, sep, digest = response.rpartition(" ")
    if not sep or not user or not digest:
        return None
    return challenge, user, digest.lower()


def check_state(hash_name: str, state_hex: str, challenge: bytes, digest_hex: str) -> bool:
    mac = hmac_from_state(hash_name, state_hex, challenge)
    return mac is not None and hmac.compare_digest(mac.hex(), digest_hex.lower())


def check_clear(hash_name: str, password: str, challenge: bytes, digest_hex: str) -> bool:
    """For modules that know the clear password (SQL/LDAP clear fields)."""
    mac = hmac.new(password.encode("utf-8", "surrogateescape"), challenge, hash_name).hexdigest()
    return hmac.compare_digest(mac, digest_hex.lower())
