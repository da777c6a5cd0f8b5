"""authdaemonrc parsing: Courier's defaults, and bad values named with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from courier.authdaemon.settings import load_settings
from courier.config import ConfigError


def test_defaults_without_a_file(tmp_path: Path) -> None:
    s = load_settings(tmp_path)
    assert s.modules == ("authpam",) and s.daemons == 5
    assert s.socket_path == Path("/run/courier/authdaemon/socket")
    assert s.default_options == {}


def test_values(tmp_path: Path) -> None:
    (tmp_path / "authdaemonrc").write_text(
        'authmodulelist="authuserdb authpam"\ndaemons=3\nauthdaemonvar=/run/x\n'
        'DEFAULTOPTIONS="disableimap=1,wbnodsn=1"\nAUTHDAEMON_TIMEOUT=7\nDEBUG_LOGIN=2\n'
    )
    s = load_settings(tmp_path)
    assert s.modules == ("authuserdb", "authpam") and s.daemons == 3 and s.request_timeout == 7
    assert s.socket_path == Path("/run/x/socket") and s.pid_path == Path("/run/x/pid")
    assert s.default_options == {"disableimap": "1", "wbnodsn": "1"} and s.debug_login == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("daemons=0\n", "authdaemonrc:1: daemons=0 must be between 1 and 512"),
        ("\ndaemons=lots\n", "authdaemonrc:2: daemons='lots' is not a whole number"),
        ("authdaemonvar=run/x\n", "authdaemonvar='run/x' must be an absolute path"),
        ("AUTHDAEMON_TIMEOUT=0\n", "AUTHDAEMON_TIMEOUT must be at least 1 second"),
    ],
)
def test_bad_values(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "authdaemonrc").write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(tmp_path)
