"""The chain: unknown passes on, a wrong password fails, TEMPFAIL stops everything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from courier.auth.chain import Chain, ModuleContext, available_modules, create_module, load_chain
from courier.auth.info import AuthInfo
from courier.auth.module import BadPassword, TempFail
from courier.config import ConfigError


class Recorder:
    """A module standing in for a backend: answers from a dict and records what it was asked."""

    def __init__(self, name: str, accounts: dict[str, str], down: bool = False) -> None:
        self.name = name
        self.accounts = accounts
        self.down = down
        self.asked: list[str] = []

    def _get(self, username: str) -> str | None:
        self.asked.append(username)
        if self.down:
            raise TempFail(f"{self.name} backend unreachable")
        return self.accounts.get(username)

    def pre(self, service: str, username: str) -> AuthInfo | None:
        return None if self._get(username) is None else AuthInfo(address=username, home="/h", uid=1, gid=1)

    def login(self, service: str, username: str, password: str) -> AuthInfo | None:
        pw = self._get(username)
        if pw is None:
            return None
        if pw != password:
            raise BadPassword(username)
        return AuthInfo(address=username, home=f"/{self.name}", uid=1, gid=1, clearpw=password)

    def cram(self, service: str, authtype: str, username: str, challenge: bytes, response_hex: str) -> None:
        self._get(username)

    def passwd(self, service: str, username: str, oldpass: str, newpass: str) -> bool | None:
        pw = self._get(username)
        return None if pw is None else pw == oldpass

    def enumerate(self) -> Iterator[AuthInfo]:
        return iter([AuthInfo(address=a, home="/h", uid=1, gid=1) for a in self.accounts])

    def close(self) -> None:
        pass


def test_unknown_passes_on_and_wrong_password_stops() -> None:
    a, b = Recorder("a", {"x": "pa"}), Recorder("b", {"y": "pb", "x": "pb"})
    chain = Chain([a, b])
    info = chain.login("imap", "y", "pb")
    assert info is not None and info.home == "/b"
    assert chain.login("imap", "x", "pb") is None  # a knows x: its wrong password ends the chain
    assert b.asked == ["y"]
    assert chain.login("imap", "z", "p") is None
    assert chain.passwd("imap", "y", "pb", "n") is True
    assert chain.passwd("imap", "nobody", "x", "n") is False


def test_tempfail_stops_the_chain() -> None:
    a, b = Recorder("a", {}, down=True), Recorder("b", {"y": "pb"})
    chain = Chain([a, b])
    for call in (
        lambda: chain.login("imap", "y", "pb"),
        lambda: chain.pre("imap", "y"),
        lambda: chain.passwd("imap", "y", "pb", "n"),
    ):
        with pytest.raises(TempFail):
            call()
    assert b.asked == []


def test_pre_with_named_module_and_default_options() -> None:
    a, b = Recorder("a", {"x": "1"}), Recorder("b", {"y": "1"})
    chain = Chain([a, b], {"disableshared": "1"})
    assert chain.pre("imap", "y", "a") is None
    info = chain.pre("imap", "y", "b")
    assert info is not None and info.flag("disableshared")
    assert [n for n, _ in chain.enumerate()] == ["a", "b"]


def test_auth_dispatch_and_malformed_data() -> None:
    chain = Chain([Recorder("a", {"x": "p"})])
    assert chain.auth("imap", "login", b"x\np\n") is not None
    assert chain.auth("imap", "login", b"nonewline") is None
    assert chain.auth("imap", "cram-md5", b"!!\n!!\n") is None
    assert chain.auth("imap", "gssapi", b"x") is None


def test_module_registry(tmp_path: Path) -> None:
    names = available_modules()
    for n in ("authuserdb", "authpam", "authpwd", "authshadow", "authvchkpw", "authcustom"):
        assert n in names
    chain, warnings = load_chain(["authuserdb", "authsqlite", "authpipe"], ModuleContext(tmp_path), {})
    assert [m.name for m in chain.modules] == ["authuserdb"]
    assert len(warnings) == 2 and "authsqlite" in warnings[0]
    with pytest.raises(ConfigError):
        create_module("authcustom", ModuleContext(tmp_path))  # no hook file
