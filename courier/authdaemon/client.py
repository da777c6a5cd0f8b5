"""The small client imapd and pop3d use to ask authdaemond (on every connection's path).

A missing, slow or broken daemon is a temporary failure (TempFail), never a
failed login: the user is told to try again later.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

from courier.auth.info import AuthInfo
from courier.auth.module import TempFail
from courier.authdaemon import protocol

DEFAULT_SOCKET = "/run/courier/authdaemon/socket"


class AuthClient:
    def __init__(self, socket_path: str = DEFAULT_SOCKET, timeout: float = 10.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def _exchange(self, request: bytes, limit: int = protocol.MAX_REPLY) -> bytes:
        deadline = time.monotonic() + self.timeout
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            try:
                sock.connect(self.socket_path)
                sock.sendall(request)
                buf = b""
                while not protocol.reply_complete(buf):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TempFail(f"authdaemond at {self.socket_path} did not answer in time")
                    sock.settimeout(left)
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
                    if len(buf) > limit:
                        raise TempFail(f"authdaemond at {self.socket_path} sent an oversized reply")
            except TimeoutError:
                raise TempFail(f"authdaemond at {self.socket_path} did not answer in time") from None
            except OSError as exc:
                raise TempFail(f"cannot reach authdaemond at {self.socket_path}: {exc.strerror}") from None
        finally:
            sock.close()
        if not buf:
            # Courier's daemon closes without a reply on a temporary failure.
            raise TempFail("authdaemond reported a temporary failure")
        return buf

    def _info(self, request: bytes) -> AuthInfo | None:
        buf = self._exchange(request)
        try:
            return protocol.decode_info(buf)
        except protocol.ProtocolError as exc:
            raise TempFail(f"authdaemond sent a malformed reply: {exc}") from None

    def pre(self, service: str, username: str) -> AuthInfo | None:
        """Look an account up without a password; None if no module knows it."""
        try:
            request = protocol.encode_pre(service, username)
        except protocol.ProtocolError:
            return None
        return self._info(request)

    def auth(self, service: str, authtype: str, authdata: bytes) -> AuthInfo | None:
        """Verify credentials; None = FAIL (wrong password or unknown user)."""
        try:
            request = protocol.encode_auth(service, authtype, authdata)
        except protocol.ProtocolError:
            return None
        if len(request) > protocol.MAX_REQUEST:
            return None
        return self._info(request)

    def login(self, service: str, username: str, password: str) -> AuthInfo | None:
        if "\n" in username or "\n" in password:
            return None
        return self.auth(service, "login", f"{username}\n{password}\n".encode("utf-8", "surrogateescape"))

    def passwd(self, service: str, username: str, oldpass: str, newpass: str) -> bool:
        try:
            request = protocol.encode_passwd(service, username, oldpass, newpass)
        except protocol.ProtocolError:
            return False
        buf = self._exchange(request)
        if buf == protocol.OK:
            return True
        if buf == protocol.FAIL:
            return False
        raise TempFail("authdaemond sent a malformed PASSWD reply")

    def enumerate(self) -> Iterator[tuple[str, list[list[str]]]]:
        """(module, rows) per module; each row is user, uid, gid, home, maildir, options."""
        buf = self._exchange(b"ENUMERATE\n", limit=1 << 30)
        if not buf.endswith(b".\n"):
            raise TempFail("authdaemond's ENUMERATE reply is incomplete")
        module: str | None = None
        rows: list[list[str]] = []
        for raw in buf[:-2].split(b"\n"):
            line = raw.decode("utf-8", "surrogateescape")
            if line.startswith("# "):
                if module is not None:
                    yield module, rows
                module, rows = line[2:], []
            elif line:
                rows.append(line.split("\t"))
        if module is not None:
            yield module, rows
