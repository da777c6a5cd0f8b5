"""Shared fixtures: real processes, real sockets, free ports."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a server process started by a test: this tree's code first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_", "PYTEST_"))}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def config_dir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "etc"
    d.mkdir()
    yield d


@pytest.fixture(autouse=True)
def _stop_authdaemonds() -> Iterator[None]:
    """Stops every authdaemond that tests.authfixtures.start_authdaemond started in the test."""
    yield
    import tests.authfixtures

    tests.authfixtures.stop_all()


# Private slapd / MariaDB / PostgreSQL servers (session-scoped) for the auth backend tests.
pytest_plugins = ["tests.dbfixtures"]
