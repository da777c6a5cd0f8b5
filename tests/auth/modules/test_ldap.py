"""authldap against a private slapd: search-bind and AUTHBIND, hashes, TLS, maps, outages."""

from __future__ import annotations

import hmac
import os
import time
from pathlib import Path

import pytest

from courier.auth.module import BadPassword, TempFail
from courier.auth.modules.ldap import LdapModule, create, escape_filter
from tests.dbfixtures import ADMIN_DN, ADMIN_PW, SUFFIX, Slapd, ssha

INJECTIONS = [
    "' OR '1'='1",
    "x' --",
    "*)(uid=*",
    "admin)(|(uid=*",
    "*",
    "alice@example.com)(mail=*",
    "*)(|(mail=*",
    "\\2a",
    "admin\\",
    "(",
]


def write_rc(path: Path, values: dict[str, str | None]) -> Path:
    lines = ["##NAME: authldaprc:0", ""]
    lines += [f"{k}\t\t{v}" for k, v in values.items() if v is not None]
    path.write_text("\n".join(lines) + "\n")
    return path


def base_values(slapd: Slapd) -> dict[str, str | None]:
    return {
        "LDAP_URI": slapd.uri,
        "LDAP_PROTOCOL_VERSION": "3",
        "LDAP_BASEDN": f"ou=people,{SUFFIX}",
        "LDAP_BINDDN": ADMIN_DN,
        "LDAP_BINDPW": ADMIN_PW,
        "LDAP_TIMEOUT": "5",
        "LDAP_MAIL": "mail",
        "LDAP_UID": "uidNumber",
        "LDAP_GID": "gidNumber",
        "LDAP_HOMEDIR": "homeDirectory",
        "LDAP_MAILROOT": "/srv/mail",
        "LDAP_MAILDIR": "mailbox",
        "LDAP_MAILDIRQUOTA": "quota",
        "LDAP_FULLNAME": "cn",
        "LDAP_CRYPTPW": "userPassword",
        "LDAP_AUXOPTIONS": "disableimap,disablepop3",
        "LDAP_DEREF": "never",
        "LDAP_TLS": "0",
    }


def module(
    tmp_path: Path, slapd: Slapd, environ: dict[str, str] | None = None, **over: str | None
) -> LdapModule:
    values = base_values(slapd)
    values.update(over)
    return LdapModule(write_rc(tmp_path / "authldaprc", values), environ or {})


def authbind_module(tmp_path: Path, slapd: Slapd, **over: str | None) -> LdapModule:
    return module(tmp_path, slapd, LDAP_AUTHBIND="1", LDAP_BINDDN=None, LDAP_BINDPW=None, **over)


# -- search-bind (LDAP_BINDDN reads the password; we compare) --------------------------


def test_ssha_password_search_bind(tmp_path: Path, slapd: Slapd) -> None:
    m = module(tmp_path, slapd)
    info = m.login("imap", "alice@example.com", "alicepw")
    assert info is not None
    assert (info.address, info.uid, info.gid) == ("alice@example.com", 10001, 10002)
    assert (info.home, info.maildir, info.quota) == ("/srv/mail/alice", "/srv/mail/alice/Maildir", "1000000S")
    assert info.fullname == "Alice Example"
    assert info.clearpw == "alicepw"
    with pytest.raises(BadPassword):
        m.login("imap", "alice@example.com", "wrong")
    assert m.login("imap", "nobody@example.com", "alicepw") is None


def test_crypt_sha512_password_and_relative_home(tmp_path: Path, slapd: Slapd) -> None:
    m = module(tmp_path, slapd)
    info = m.login("pop3", "bob@example.com", "bobpw")
    assert info is not None and info.home == "/srv/mail/bob"  # LDAP_MAILROOT + relative home
    assert info.maildir is None  # no mailbox attribute: the login code uses HOME/Maildir
    with pytest.raises(BadPassword):
        m.login("pop3", "bob@example.com", "bobpw ")


def test_clear_password_attribute_and_cram(tmp_path: Path, slapd: Slapd) -> None:
    m = module(tmp_path, slapd, LDAP_CRYPTPW=None, LDAP_CLEARPW="clearPassword")
    info = m.login("imap", "carol@example.com", "carolpw")
    assert info is not None and info.options == {"disablepop3": "1"}
    with pytest.raises(BadPassword):
        m.login("imap", "carol@example.com", "carolPW")
    challenge = b"<1896.697170952@postoffice.example.net>"
    for authtype, digest in (("cram-md5", "md5"), ("cram-sha1", "sha1"), ("cram-sha256", "sha256")):
        good = hmac.new(b"carolpw", challenge, digest).hexdigest()
        assert m.cram("imap", authtype, "carol@example.com", challenge, good) is not None
        with pytest.raises(BadPassword):
            m.cram("imap", authtype, "carol@example.com", challenge, "0" * len(good))
    # No clear password stored: CRAM cannot be checked, the login fails.
    with pytest.raises(BadPassword):
        m.cram(
            "imap",
            "cram-md5",
            "alice@example.com",
            challenge,
            hmac.new(b"alicepw", challenge, "md5").hexdigest(),
        )


def test_pre_looks_up_without_password(tmp_path: Path, slapd: Slapd) -> None:
    m = module(tmp_path, slapd)
    info = m.pre("imap", "alice@example.com")
    assert info is not None and info.uid == 10001 and info.clearpw is None
    assert m.pre("imap", "ghost@example.com") is None


def test_empty_password_never_logs_in(tmp_path: Path, slapd: Slapd) -> None:
    # An empty simple bind is an anonymous bind, which the server accepts.
    for m in (module(tmp_path, slapd), authbind_module(tmp_path, slapd)):
        with pytest.raises(BadPassword):
            m.login("imap", "alice@example.com", "")


# -- AUTHBIND (the directory checks the password) ----------------------------------------


def test_authbind(tmp_path: Path, slapd: Slapd) -> None:
    m = authbind_module(tmp_path, slapd)
    for user, password in (
        ("alice@example.com", "alicepw"),
        ("bob@example.com", "bobpw"),
        ("carol@example.com", "carolpw"),
    ):
        info = m.login("imap", user, password)
        assert info is not None and info.address == user
        with pytest.raises(BadPassword):
            m.login("imap", user, password + "x")
    assert m.login("imap", "ghost@example.com", "x") is None
    # The search connection stays anonymous: the next lookup still works after user binds.
    assert m.pre("imap", "bob@example.com") is not None


# -- hostile names ----------------------------------------------------------------------------


def test_escape_filter_rfc4515() -> None:
    assert escape_filter("a*b(c)d\\e\x00") == "a\\2ab\\28c\\29d\\5ce\\00"
    assert escape_filter("jörg@example.com") == "jörg@example.com"


@pytest.mark.parametrize("authbind", [False, True])
def test_injection_names_never_authenticate(tmp_path: Path, slapd: Slapd, authbind: bool) -> None:
    m = authbind_module(tmp_path, slapd) if authbind else module(tmp_path, slapd)
    for name in INJECTIONS:
        for password in ("alicepw", "adminuserpw", "x"):
            try:
                result = m.login("imap", name, password)
            except BadPassword:
                result = None
            assert result is None, name
        assert m.pre("imap", name) is None, name
    assert m.login("imap", "a" * 100_000, "x") is None
    assert m.login("imap", "alice@example.com\x00", "alicepw") is None


# -- Courier's other variables ------------------------------------------------------------------


def test_ldap_domain_appended_to_bare_login(tmp_path: Path, slapd: Slapd) -> None:
    m = module(tmp_path, slapd, LDAP_DOMAIN="example.com")
    info = m.login("imap", "alice", "alicepw")
    assert info is not None and info.address == "alice" and info.uid == 10001
    assert m.login("imap", "admin", "adminuserpw") is None  # looked up as admin@example.com


def test_glob_uid_gid_by_name(tmp_path: Path, slapd: Slapd) -> None:
    m = module(tmp_path, slapd, LDAP_UID=None, LDAP_GID=None, LDAP_GLOB_UID="nobody", LDAP_GLOB_GID="65534")
    info = m.login("imap", "alice@example.com", "alicepw")
    assert info is not None and (info.uid, info.gid) == (65534, 65534)


def test_uid_and_gid_are_required(tmp_path: Path, slapd: Slapd) -> None:
    m = module(tmp_path, slapd, LDAP_UID=None, LDAP_GID=None)
    with pytest.raises(TempFail):
        m.login("imap", "alice@example.com", "alicepw")


def test_filter_restricts_accounts(tmp_path: Path, slapd: Slapd) -> None:
    m = module(tmp_path, slapd, LDAP_FILTER="(objectClass=CourierMailAccount)(!(uid=bob))")
    assert m.login("imap", "alice@example.com", "alicepw") is not None
    assert m.login("imap", "bob@example.com", "bobpw") is None


def test_emailmap(tmp_path: Path, slapd: Slapd) -> None:
    m = module(
        tmp_path,
        slapd,
        LDAP_EMAILMAP="(&(uid=@user@)(o=@realm@))",
        LDAP_EMAILMAP_BASEDN=f"ou=maps,{SUFFIX}",
        LDAP_EMAILMAP_ATTRIBUTE="displayName",
        LDAP_EMAILMAP_MAIL="uid",
    )
    info = m.login("imap", "dave@example.org", "alicepw")  # dave@example.org maps to handle "alice"
    assert info is not None and info.uid == 10001 and info.address == "dave@example.org"
    assert m.login("imap", "*@*", "alicepw") is None
    assert m.login("imap", "dave@example.com", "alicepw") is None


def test_deref(tmp_path: Path, slapd: Slapd) -> None:
    # uid=henry,ou=people is an alias of an entry outside LDAP_BASEDN.
    assert module(tmp_path, slapd, LDAP_DEREF="never").login("imap", "henry@example.com", "henrypw") is None
    m = module(tmp_path, slapd, LDAP_DEREF="always")
    info = m.login("imap", "henry@example.com", "henrypw")
    assert info is not None and info.uid == 10009
    with pytest.raises(TempFail):
        module(tmp_path, slapd, LDAP_DEREF="sometimes").pre("imap", "alice@example.com")


def test_starttls(tmp_path: Path, slapd: Slapd) -> None:
    trusted = {"LDAPTLS_CACERT": str(slapd.cacert), "LDAPTLS_REQCERT": "demand"}
    m = module(tmp_path, slapd, environ=trusted, LDAP_TLS="1")
    assert m.login("imap", "alice@example.com", "alicepw") is not None
    bind = module(tmp_path, slapd, environ=trusted, LDAP_TLS="1", LDAP_AUTHBIND="1", LDAP_BINDDN=None)
    assert bind.login("imap", "bob@example.com", "bobpw") is not None
    # Without the CA the server's certificate is refused: a temporary failure, not a silent plain login.
    untrusted = module(
        tmp_path, slapd, environ={"LDAPTLS_REQCERT": "demand", "LDAPTLS_CACERT": "/dev/null"}, LDAP_TLS="1"
    )
    with pytest.raises(TempFail):
        untrusted.login("imap", "alice@example.com", "alicepw")


def test_wrong_binddn_password_is_tempfail(tmp_path: Path, slapd: Slapd) -> None:
    m = module(tmp_path, slapd, LDAP_BINDPW="not-the-password")
    with pytest.raises(TempFail):
        m.login("imap", "alice@example.com", "alicepw")


def test_rc_file_reread_when_changed(tmp_path: Path, slapd: Slapd) -> None:
    m = module(tmp_path, slapd)
    assert m.pre("imap", "alice@example.com").fullname == "Alice Example"  # type: ignore[union-attr]
    values = base_values(slapd)
    values["LDAP_FULLNAME"] = "sn"
    write_rc(tmp_path / "authldaprc", values)
    os.utime(tmp_path / "authldaprc", ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    assert m.pre("imap", "alice@example.com").fullname == "Example"  # type: ignore[union-attr]


def test_missing_marker_or_file_is_tempfail(tmp_path: Path, slapd: Slapd) -> None:
    rc = tmp_path / "authldaprc"
    rc.write_text(f"LDAP_URI {slapd.uri}\nLDAP_BASEDN {SUFFIX}\n")
    with pytest.raises(TempFail):
        LdapModule(rc, {}).pre("imap", "alice@example.com")
    with pytest.raises(TempFail):
        LdapModule(tmp_path / "absent", {}).pre("imap", "alice@example.com")


def test_enumerate(tmp_path: Path, slapd: Slapd) -> None:
    accounts = {info.address: info for info in module(tmp_path, slapd).enumerate()}
    assert {"alice@example.com", "bob@example.com", "carol@example.com", "admin"} <= set(accounts)
    assert accounts["bob@example.com"].home == "/srv/mail/bob"


def test_create_reads_config_dir_and_tls_from_authdaemonrc(tmp_path: Path, slapd: Slapd) -> None:
    write_rc(tmp_path / "authldaprc", {**base_values(slapd), "LDAP_TLS": "1"})

    class Ctx:
        def __init__(self) -> None:
            self.config_dir = tmp_path
            self.values = {"LDAPTLS_CACERT": str(slapd.cacert), "LDAPTLS_REQCERT": "demand"}

    assert create(Ctx()).login("imap", "alice@example.com", "alicepw") is not None


# -- password changes -------------------------------------------------------------------------------


def _add_user(slapd: Slapd, uid: str, password_value: str) -> str:
    dn = f"uid={uid},ou=people,{SUFFIX}"
    slapd.add(
        f"dn: {dn}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: CourierMailAccount\n"
        f"uid: {uid}\ncn: {uid}\nsn: {uid}\nmail: {uid}@example.com\nuidNumber: 20001\ngidNumber: 20001\n"
        f"homeDirectory: /srv/mail/{uid}\nuserPassword: {password_value}\n"
    )
    return dn


@pytest.mark.parametrize("authbind", [False, True])
def test_passwd(tmp_path: Path, slapd: Slapd, authbind: bool) -> None:
    uid = f"pw{os.getpid()}{int(authbind)}"
    dn = _add_user(slapd, uid, ssha("oldpw"))
    m = authbind_module(tmp_path, slapd) if authbind else module(tmp_path, slapd)
    user = f"{uid}@example.com"
    assert m.passwd("imap", user, "wrong", "newpw") is False
    assert m.passwd("imap", "ghost@example.com", "x", "y") is None
    assert m.passwd("imap", user, "oldpw", "newpw") is True
    stored = slapd.read_attr(dn, "userPassword")
    assert len(stored) == 1 and stored[0].startswith("{SSHA}")  # the scheme is kept
    assert m.login("imap", user, "newpw") is not None
    with pytest.raises(BadPassword):
        m.login("imap", user, "oldpw")


# -- the server goes away and comes back ------------------------------------------------------------


@pytest.mark.parametrize("authbind", [False, True])
def test_server_stopped_mid_test(tmp_path: Path, slapd: Slapd, authbind: bool) -> None:
    m = authbind_module(tmp_path, slapd) if authbind else module(tmp_path, slapd)
    assert m.login("imap", "alice@example.com", "alicepw") is not None
    slapd.stop()
    try:
        started = time.monotonic()
        with pytest.raises(TempFail):
            m.login("imap", "alice@example.com", "alicepw")
        with pytest.raises(TempFail):
            m.pre("imap", "alice@example.com")
        assert time.monotonic() - started < 5
    finally:
        slapd.start()
    assert m.login("imap", "alice@example.com", "alicepw") is not None  # same module, reconnected


def test_unreachable_server_is_tempfail(tmp_path: Path, slapd: Slapd) -> None:
    from tests.conftest import free_port

    m = module(tmp_path, slapd, LDAP_URI=f"ldap://127.0.0.1:{free_port()}/")
    with pytest.raises(TempFail):
        m.login("imap", "alice@example.com", "alicepw")


def test_older_server_and_port_variables(tmp_path: Path, slapd: Slapd) -> None:
    m = module(tmp_path, slapd, LDAP_URI=None, LDAP_SERVER="127.0.0.1", LDAP_PORT=str(slapd.port))
    assert m.login("imap", "alice@example.com", "alicepw") is not None
    with pytest.raises(TempFail):  # neither given: a configuration error, named in the log
        module(tmp_path, slapd, LDAP_URI=None).pre("imap", "alice@example.com")
