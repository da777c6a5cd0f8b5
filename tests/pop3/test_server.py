"""How pop3d writes: each response handed to the kernel whole, in one send (strace on a real session)."""

from __future__ import annotations

import poplib
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import PYTHON, child_env
from tests.pop3.conftest import Pop3Server, deliver

pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")

_SEND = re.compile(r"(?:sendto|write|sendmsg)\((\d+), .*?, (\d+)(?:, .*)?\) += (-?\d+)")


def _message(lines: int) -> bytes:
    body = b"".join(b".stuffed %d\n" % i if i % 7 == 0 else b"line %d of a body\n" % i for i in range(lines))
    return b"Subject: big\nFrom: a@example.com\n\n" + body + b".\n..\n"


def test_each_response_is_one_send_and_dot_stuffed(maildir: Path, config_dir: Path, tmp_path: Path) -> None:
    msgs = [_message(20), _message(6000), _message(30)]  # 1 KB, 130 KB, 1 KB
    for m in msgs:
        deliver(maildir, m)
    trace = tmp_path / "trace"
    env = child_env(AUTHENTICATED="bench@example.com", MAILDIR=str(maildir), HOME=str(maildir.parent))
    server = Pop3Server(env, [], tmp_path, program=[
        "strace", "-f", "-qq", "-s", "0", "-e", "trace=write,sendto,sendmsg", "-e", "signal=none",
        "-o", str(trace), PYTHON, "-m", "courier.cli.pop3d", "--config-dir", str(config_dir),
    ])  # fmt: skip
    try:
        p = poplib.POP3("127.0.0.1", server.port, timeout=30)
        sizes = [len(p.welcome) + 2]
        for n, m in enumerate(msgs, 1):
            resp, lines, _octets = p.retr(n)
            assert b"\n".join(lines) + b"\n" == m  # dot-stuffing undone by the client: the message as stored
            stuffed = sum(1 for line in m.split(b"\n") if line.startswith(b"."))
            sizes.append(len(resp) + 2 + len(m) + m.count(b"\n") + stuffed + 3)  # status, CRLF body, ".\r\n"
        p.quit()
        server.log()
    finally:
        server.close()
    sends: list[tuple[int, int, int]] = []
    for line in trace.read_text().splitlines():
        m = _SEND.search(line)
        if m and m.group(1) in ("0", "1"):  # the connection (fd 2 has log lines; others are files)
            sends.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
    offered = []
    left = 0
    for _fd, length, done in sends:
        if left and length == left:  # the kernel took part: the rest of the same response
            left -= max(done, 0)
            continue
        offered.append(length)
        left = length - max(done, 0)
    assert offered[: len(sizes)] == sizes, (offered, sizes)
