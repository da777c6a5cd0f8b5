"""imapd's settings, read once from ``imapd`` and ``imapd-ssl`` (as Courier's start scripts source them)."""

from __future__ import annotations

import os

from courier.config import ConfigError, as_bool, as_int, as_seconds, read_chain
from courier.frozen import dataclass, field, replace
from courier.maildir.settings import MaildirSettings, settings_from_config

TYPE_CHECKING = False  # not typing's: read before every greeting
if TYPE_CHECKING:
    from collections.abc import Mapping

    from courier.maildir.namespace import NamespaceStore

#: What Courier's imapd uses when IMAP_CAPABILITY is not set at all.
BUILTIN_CAPABILITY = "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE QUOTA IDLE"

#: Variables the environment may override (couriertcpd's access file and the
#: start scripts hand settings to imapd through its environment).
_NAMES = (
    "IMAP_CAPABILITY",
    "IMAP_CAPABILITY_TLS",
    "IMAP_STARTTLS",
    "IMAPDSTARTTLS",
    "IMAP_TLS_REQUIRED",
    "IMAP_IDLE_TIMEOUT",
    "IMAP_DISABLETHREADSORT",
    "IMAP_OBSOLETE_CLIENT",
    "IMAP_UMASK",
    "IMAP_ID_FIELDS",
    "IMAP_ACL",
    "IMAP_MAXMSGSIZE",
    "IMAP_AUTOLOGOUT",
    "IMAP_KEYWORDS",
    "IMAP_USELOCKS",
    "IMAP_TRASHFOLDERNAME",
    "IMAP_TRASHQUOTA",
    "MAILDIRPATH",
    "AUTHSERVICE",
    "IMAP_LOGIN_DELAY",
    "IMAP_MAILBOX_SANITY_CHECK",
    "DEFDOMAIN",
    "OUTBOX",
    "SENDMAIL",
    "HEADERFROM",
    "OUTBOX_MULTIPLE_SEND",
    "IMAP_EMPTYTRASH",
    "IMAP_MOVE_EXPUNGE_TO_TRASH",
    "IMAP_SHAREDINDEXFILE",
    "IMAP_SHAREDMUNGENAMES",
)


@dataclass(frozen=True, slots=True)
class ImapSettings:
    config_dir: str = "/etc/courier"
    capability: str = BUILTIN_CAPABILITY
    capability_tls: str = BUILTIN_CAPABILITY + " AUTH=PLAIN"
    starttls: bool = False  # offer STARTTLS on the plain port (IMAPDSTARTTLS)
    tls_required: bool = False  # IMAP_TLS_REQUIRED: no LOGIN before STARTTLS
    idle_poll: float = 60.0  # IMAP_IDLE_TIMEOUT: poll interval when inotify is unavailable
    disable_threadsort: bool = False
    obsolete_client: bool = False
    umask: int = 0o022
    id_fields: int = 0  # IMAP_ID_FIELDS: 0 = no ID command
    acl: bool = False  # IMAP_ACL: advertise ACL ACL2=UNION (the ACL commands work either way)
    max_message: int = 100 * 1024 * 1024  # IMAP_MAXMSGSIZE: largest APPEND accepted
    autologout: float = 1800.0  # IMAP_AUTOLOGOUT: idle seconds before BYE (RFC 3501: >= 30 min)
    keywords: bool = True
    maildirpath: str = "Maildir"
    service: str = "imap"
    login_delay: float = 5.0  # IMAP_LOGIN_DELAY: seconds before a failed login is answered
    defdomain: str = ""
    mailbox_sanity_check: bool = True
    #: OUTBOX as written (a Maildir++ directory such as ".Outbox", advertised as
    #: XCOURIEROUTBOX=INBOX<value>) and the IMAP name of that folder; "" = no outbox.
    outbox: str = ""
    outbox_folder: str = ""
    sendmail: str = "/usr/sbin/sendmail"  # SENDMAIL: run as <sendmail> -oi -t -f <login>
    headerfrom: str = "X-IMAP-Sender"  # HEADERFROM: header naming the login; "" = none
    outbox_multiple_send: bool = False  # OUTBOX_MULTIPLE_SEND: COPY of several messages
    move_expunge_to_trash: bool = False  # IMAP_MOVE_EXPUNGE_TO_TRASH (XMAGICTRASH)
    #: IMAP_EMPTYTRASH: (folder, days) purged at login and LOGOUT, e.g. (("INBOX.Trash", 7),)
    empty_trash: tuple[tuple[str, int], ...] = ()
    shared_index: str = ""  # IMAP_SHAREDINDEXFILE: index of #shared. (unset: no virtual shared folders)
    shared_munge: bool = False  # IMAP_SHAREDMUNGENAMES: "." and "/" in index names as \\: and \\;
    # The TLS_* variables, for courier.tls (imported only when a session uses TLS).
    tls_values: tuple[tuple[str, str], ...] = ()
    #: The store's settings (IMAP_KEYWORDS, IMAP_USELOCKS, IMAP_TRASHFOLDERNAME, IMAP_UMASK,
    #: IMAP_TRASHQUOTA); the account's quota is filled in at login.
    maildir: MaildirSettings = field(default_factory=MaildirSettings)


def settings_from(values: Mapping[str, str], config_dir: str = "/etc/courier") -> ImapSettings:
    where = os.path.join(config_dir, "imapd")
    cap = values.get("IMAP_CAPABILITY", "").strip() or BUILTIN_CAPABILITY
    cap_tls = values.get("IMAP_CAPABILITY_TLS", "").strip() or cap + " AUTH=PLAIN"
    umask_raw = values.get("IMAP_UMASK", "").strip() or "022"
    try:
        umask = int(umask_raw, 8)
    except ValueError:
        raise ConfigError(f"{where}: IMAP_UMASK={umask_raw!r} is not an octal number such as 022") from None
    idle = as_int(values, "IMAP_IDLE_TIMEOUT", 60, where)
    if idle < 1:
        raise ConfigError(f"{where}: IMAP_IDLE_TIMEOUT={idle} must be at least 1 (seconds)")
    maxmsg = as_int(values, "IMAP_MAXMSGSIZE", 100 * 1024 * 1024, where)
    autologout = as_int(values, "IMAP_AUTOLOGOUT", 1800, where)
    if autologout < 1:
        raise ConfigError(f"{where}: IMAP_AUTOLOGOUT={autologout} must be at least 1 (seconds)")
    starttls_raw = values.get("IMAP_STARTTLS", "") or values.get("IMAPDSTARTTLS", "")
    outbox = values.get("OUTBOX", "").strip()
    try:
        maildir = settings_from_config(values)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return ImapSettings(
        config_dir=config_dir,
        capability=" ".join(cap.split()),
        capability_tls=" ".join(cap_tls.split()),
        starttls=starttls_raw.strip().lower() in ("1", "yes", "y", "true", "on"),
        tls_required=as_bool(values, "IMAP_TLS_REQUIRED", False),
        idle_poll=float(idle),
        disable_threadsort=as_bool(values, "IMAP_DISABLETHREADSORT", False),
        obsolete_client=as_bool(values, "IMAP_OBSOLETE_CLIENT", False),
        umask=umask,
        id_fields=as_int(values, "IMAP_ID_FIELDS", 0, where),
        acl=as_bool(values, "IMAP_ACL", False),
        max_message=maxmsg,
        autologout=float(autologout),
        keywords=maildir.keywords != 0,
        maildirpath=values.get("MAILDIRPATH", "").strip() or "Maildir",
        service=values.get("AUTHSERVICE", "").strip() or "imap",
        login_delay=as_seconds(values, "IMAP_LOGIN_DELAY", 5.0, where),
        defdomain=values.get("DEFDOMAIN", "").strip(),
        mailbox_sanity_check=as_bool(values, "IMAP_MAILBOX_SANITY_CHECK", True),
        outbox=outbox,
        outbox_folder=_outbox_folder(outbox, where),
        sendmail=values.get("SENDMAIL", "").strip() or "/usr/sbin/sendmail",
        headerfrom=_header_name(values.get("HEADERFROM", "X-IMAP-Sender").strip(), where),
        outbox_multiple_send=_switch(values, "OUTBOX_MULTIPLE_SEND"),
        move_expunge_to_trash=_switch(values, "IMAP_MOVE_EXPUNGE_TO_TRASH"),
        empty_trash=parse_empty_trash(values.get("IMAP_EMPTYTRASH", ""), maildir.trash_folder, where),
        shared_index=values.get("IMAP_SHAREDINDEXFILE", "").strip(),
        shared_munge=as_bool(values, "IMAP_SHAREDMUNGENAMES", False),
        tls_values=tuple(sorted((k, v) for k, v in values.items() if k.startswith("TLS_"))),
        maildir=maildir,
    )


def _switch(values: Mapping[str, str], name: str) -> bool:
    """A Courier on/off number (atoi: any non-zero number is on); yes/true also count."""
    raw = values.get(name, "").strip()
    if raw.isdigit():
        return int(raw) != 0
    return as_bool(values, name, False)


def _folder_name(rest: str) -> str | None:
    """INBOX.<rest>, or None if ``rest`` cannot name a folder (the store checks the rest;
    courier.maildir.layout is not imported before the greeting)."""
    parts = rest.split(".")
    if not rest or any(not p for p in parts) or any(c == "/" or ord(c) < 32 or c == "\x7f" for c in rest):
        return None
    return "INBOX." + rest


def _outbox_folder(outbox: str, where: str) -> str:
    """OUTBOX names a folder directory (".Outbox"); its IMAP name is INBOX<value>."""
    if not outbox:
        return ""
    name = _folder_name(outbox[1:]) if outbox.startswith(".") else None
    if name is None:
        raise ConfigError(f"{where}: OUTBOX={outbox!r} is not a folder directory such as .Outbox")
    return name


def _header_name(name: str, where: str) -> str:
    if name and not all(33 <= ord(c) <= 126 and c != ":" for c in name):
        raise ConfigError(f"{where}: HEADERFROM={name!r} is not a header name such as X-IMAP-Sender")
    return name


def parse_empty_trash(raw: str, trash_folder: str, where: str = "imapd") -> tuple[tuple[str, int], ...]:
    """IMAP_EMPTYTRASH: "folder:days[,folder:days...]" (folders below INBOX), or only a number
    of days for the trash folder.  As with Courier, 0 days counts as 1."""
    raw = raw.strip()
    if not raw:
        return ()
    if ":" not in raw and "," not in raw:
        entries = [(trash_folder, raw)]
    else:
        entries = []
        for item in raw.split(","):
            item = item.strip()
            if not item:
                continue
            folder, sep, days = item.rpartition(":")
            if not sep or not folder.strip():
                raise ConfigError(f"{where}: IMAP_EMPTYTRASH entry {item!r} is not folder:days, e.g. Trash:7")
            entries.append((folder.strip(), days))
    out: list[tuple[str, int]] = []
    for folder, days in entries:
        if not days.strip().isdigit():
            raise ConfigError(f"{where}: IMAP_EMPTYTRASH={raw!r}: {days!r} is not a number of days")
        name = _folder_name(folder)
        if name is None:
            raise ConfigError(f"{where}: IMAP_EMPTYTRASH={raw!r}: {folder!r} is not a folder name")
        out.append((name, max(1, int(days))))
    return tuple(out)


def store_settings(settings: ImapSettings, quota: str | None) -> MaildirSettings:
    """The store's settings for one account (``quota``: authlib's, e.g. "1000000S,100C")."""
    return replace(settings.maildir, quota=quota or None)


def open_account_store(
    settings: ImapSettings, maildir: str, user: str, quota: str | None, options: str
) -> NamespaceStore:
    """The login's store: its maildir plus the shared namespaces its authlib OPTIONS allow
    (``sharedgroup``, ``disableshared``; ``group=`` for ACL group identifiers)."""
    from courier.auth.info import parse_options
    from courier.maildir import open_store
    from courier.maildir.acl import Identity
    from courier.maildir.namespace import NamespaceStore, SharedSettings

    personal = open_store(maildir, store_settings(settings, quota))
    personal.owner = user
    opts = parse_options(options)
    disabled = opts.get("disableshared", "") not in ("", "0")
    index = settings.shared_index + opts.get("sharedgroup", "") if settings.shared_index else ""
    shared = SharedSettings(index_file=index, complex_names=settings.shared_munge, disabled=disabled)
    return NamespaceStore(personal, Identity.from_options(user, options), shared)


def load(
    config_dir: str | os.PathLike[str] = "/etc/courier",
    tls: bool = False,
    environ: Mapping[str, str] | None = None,
) -> ImapSettings:
    """Read ``imapd`` and ``imapd-ssl`` in the order Courier's start script for that port does;
    variables set in ``environ`` win, as they do for Courier."""
    d = os.fspath(config_dir)
    order = ("imapd", "imapd-ssl") if tls else ("imapd-ssl", "imapd")
    values = read_chain(d, *order)
    if environ:
        values.update({k: environ[k] for k in _NAMES if k in environ})
        # AUTHSERVICE<port>: the service name authlib sees for connections to that port
        port = environ.get("TCPLOCALPORT", "")
        if port.isdigit() and values.get(f"AUTHSERVICE{port}", "").strip():
            values["AUTHSERVICE"] = values[f"AUTHSERVICE{port}"]
    return settings_from(values, d)
