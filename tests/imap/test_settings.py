"""imapd settings come from imapd and imapd-ssl, in the start scripts' order, environment last."""

from __future__ import annotations

from pathlib import Path

import pytest

from courier.config import ConfigError
from courier.imap.settings import BUILTIN_CAPABILITY, load


def test_defaults_without_files(tmp_path: Path) -> None:
    s = load(tmp_path)
    assert s.capability == BUILTIN_CAPABILITY
    assert s.capability_tls == BUILTIN_CAPABILITY + " AUTH=PLAIN"
    assert s.idle_poll == 60 and s.autologout == 1800 and s.umask == 0o022


def test_debian_style_files(tmp_path: Path) -> None:
    (tmp_path / "imapd").write_text(
        'IMAP_CAPABILITY="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT '
        'THREAD=REFERENCES SORT QUOTA IDLE"\n'
        'IMAP_CAPABILITY_TLS="$IMAP_CAPABILITY AUTH=PLAIN"\n'
        "IMAP_IDLE_TIMEOUT=60\nIMAP_UMASK=027\nMAILDIRPATH=Mail\n"
    )
    (tmp_path / "imapd-ssl").write_text("IMAPDSTARTTLS=YES\nMAILDIRPATH=Maildir\n")
    plain = load(tmp_path)
    assert plain.capability.endswith("SORT QUOTA IDLE")
    assert plain.capability_tls == plain.capability + " AUTH=PLAIN"
    assert plain.starttls and plain.umask == 0o027
    assert plain.maildirpath == "Mail"  # imapd is read last for the plain port
    assert load(tmp_path, tls=True).maildirpath == "Maildir"
    assert load(tmp_path, environ={"IMAP_IDLE_TIMEOUT": "5"}).idle_poll == 5


@pytest.mark.parametrize(
    ("line", "word"),
    [
        ("IMAP_UMASK=9x", "IMAP_UMASK"),
        ("IMAP_IDLE_TIMEOUT=0", "IMAP_IDLE_TIMEOUT"),
        ("IMAP_AUTOLOGOUT=x", "IMAP_AUTOLOGOUT"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, line: str, word: str) -> None:
    (tmp_path / "imapd").write_text(line + "\n")
    with pytest.raises(ConfigError, match=word):
        load(tmp_path)


def test_authservice_per_port(tmp_path: Path) -> None:
    (tmp_path / "imapd").write_text("AUTHSERVICE993=imaps\n")
    assert load(tmp_path).service == "imap"
    assert load(tmp_path, environ={"TCPLOCALPORT": "993"}).service == "imaps"


def test_store_settings_parsed_once_with_the_account_quota(tmp_path: Path) -> None:
    from courier.imap.settings import store_settings

    (tmp_path / "imapd").write_text(
        "IMAP_KEYWORDS=2\nIMAP_USELOCKS=0\nIMAP_TRASHFOLDERNAME=Bin\nIMAP_UMASK=027\n"
    )
    s = load(tmp_path, environ={"IMAP_TRASHQUOTA": "1"})
    m = store_settings(s, "1000S,10C")
    assert (m.keywords, m.uselocks, m.trash_folder, m.umask, m.trash_quota) == (2, False, "Bin", 0o027, True)
    assert m.quota == "1000S,10C" and store_settings(s, "").quota is None
    assert s.keywords and s.maildir.quota is None


@pytest.mark.parametrize("line", ["IMAP_KEYWORDS=3", "IMAP_TRASHFOLDERNAME=../x", "IMAP_UMASK=9"])
def test_bad_store_setting_names_file_and_variable(tmp_path: Path, line: str) -> None:
    (tmp_path / "imapd").write_text(line + "\n")
    with pytest.raises(ConfigError, match=str(tmp_path / "imapd") + ".*" + line.split("=")[0]):
        load(tmp_path)


def test_outbox_and_trash_settings(tmp_path: Path) -> None:
    from courier.imap.capability import capabilities

    plain = load(tmp_path)
    assert (plain.outbox, plain.empty_trash, plain.move_expunge_to_trash) == ("", (), False)
    assert "XMAGICTRASH" not in capabilities(plain, False, True, False)
    (tmp_path / "imapd").write_text(
        "OUTBOX=.Sent.Out\nIMAP_MOVE_EXPUNGE_TO_TRASH=1\nIMAP_TRASHFOLDERNAME=Bin\n"
        'IMAP_EMPTYTRASH="Bin:7,Sent.Old:0, Junk : 30"\n'
    )
    s = load(tmp_path)
    assert (s.outbox_folder, s.sendmail, s.headerfrom) == (
        "INBOX.Sent.Out",
        "/usr/sbin/sendmail",
        "X-IMAP-Sender",
    )
    assert s.empty_trash == (
        ("INBOX.Bin", 7),
        ("INBOX.Sent.Old", 1),
        ("INBOX.Junk", 30),
    )  # 0 days is 1, as Courier
    # Courier's place for them: after the configured list, before ENABLE
    caps = capabilities(s, False, False, False)
    assert caps[-4:] == ["XCOURIEROUTBOX=INBOX.Sent.Out", "XMAGICTRASH", "ENABLE", "UTF8=ACCEPT"]
    # a bare number is the age for the trash folder; the environment wins over the file
    assert load(tmp_path, environ={"IMAP_EMPTYTRASH": "3"}).empty_trash == (("INBOX.Bin", 3),)
    assert load(tmp_path, environ={"IMAP_MOVE_EXPUNGE_TO_TRASH": "0"}).move_expunge_to_trash is False


@pytest.mark.parametrize(
    ("line", "word"),
    [
        ("OUTBOX=Outbox", "OUTBOX"),
        ("OUTBOX=./Outbox", "OUTBOX"),
        ("HEADERFROM='X Sender'", "HEADERFROM"),
        ("IMAP_EMPTYTRASH=Trash:seven", "IMAP_EMPTYTRASH"),
        ("IMAP_EMPTYTRASH=Trash", "IMAP_EMPTYTRASH"),
        ("IMAP_EMPTYTRASH=Trash:7,Sent", "IMAP_EMPTYTRASH"),
        ("IMAP_EMPTYTRASH=../x:7", "IMAP_EMPTYTRASH"),
    ],
)
def test_bad_outbox_and_trash_settings(tmp_path: Path, line: str, word: str) -> None:
    (tmp_path / "imapd").write_text(line + "\n")
    with pytest.raises(ConfigError, match=word):
        load(tmp_path)
