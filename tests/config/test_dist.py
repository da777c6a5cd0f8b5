"""etc/*.dist: every variable of real Courier, parsed the same way by sh and by us."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from courier.config import KNOWN_VARIABLES, is_known, read_chain, read_config
from tests import realcourier
from tests.conftest import REPO

FILES = ["imapd", "imapd-ssl", "pop3d", "pop3d-ssl", "authdaemonrc"]
# Start-script order: the -ssl file augments (implicit TLS) or precedes (plain).
CHAINS = [
    ("imapd",),
    ("imapd-ssl", "imapd"),
    ("imapd", "imapd-ssl"),
    ("pop3d-ssl", "pop3d"),
    ("authdaemonrc",),
]
_MENTION = re.compile(r"^#? *([A-Za-z_][A-Za-z0-9_]*)=", re.M)
_MARKER = re.compile(r"^##NAME: *([^:\s]+):([0-9]+)", re.M)


def mentioned(path: Path) -> set[str]:
    """Variables a file sets or shows as a commented example."""
    return set(_MENTION.findall(path.read_text()))


def real(name: str) -> Path:
    return realcourier.root() / "etc/courier" / name


def sh_env(config_dir: Path, chain: tuple[str, ...]) -> dict[str, str]:
    script = "set -a; " + "; ".join(f". {config_dir / n}" for n in chain) + "; env -0"
    out = subprocess.run(["sh", "-c", script], env={}, capture_output=True, check=True).stdout.decode()
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    for k in ("PWD", "SHLVL", "_", "OLDPWD"):
        env.pop(k, None)
    return env


@pytest.mark.parametrize("chain", CHAINS)
def test_dist_files_read_like_sh(chain: tuple[str, ...], tmp_path: Path) -> None:
    for name in chain:
        (tmp_path / name).write_bytes((REPO / "etc" / f"{name}.dist").read_bytes())
    assert read_chain(tmp_path, *chain, warn=None) == sh_env(tmp_path, chain)


@pytest.mark.parametrize("chain", CHAINS)
def test_real_courier_files_read_like_sh(chain: tuple[str, ...]) -> None:
    """Debian's own files, every variable, exactly as its start scripts see them."""
    config_dir = realcourier.root() / "etc/courier"
    warnings: list[str] = []
    ours = read_chain(config_dir, *chain, warn=warnings.append)
    assert ours == sh_env(config_dir, chain)
    assert warnings == []
    for name in chain:
        assert set(read_config(config_dir / name).values) >= {"MAILDIRPATH"} or name == "authdaemonrc"


@pytest.mark.parametrize("name", FILES)
def test_dist_has_every_variable_and_default_of_real_courier(name: str) -> None:
    ours_path = REPO / "etc" / f"{name}.dist"
    assert mentioned(ours_path) >= mentioned(real(name)) - {"disablewebmail"}
    # Same defaults (Debian's) for every variable that is set.
    real_values = dict(read_config(real(name)).values)
    assert dict(read_config(ours_path).values) == real_values
    # Same sysconftool markers and revisions, so install-configure keeps an admin's values.
    assert set(_MARKER.findall(ours_path.read_text())) == set(_MARKER.findall(real(name).read_text()))


@pytest.mark.parametrize("name", FILES)
def test_known_variable_table_matches_the_dist(name: str) -> None:
    family = [f for f in FILES if f.removesuffix("-ssl") == name.removesuffix("-ssl")]
    in_dists = set().union(*(mentioned(REPO / "etc" / f"{f}.dist") for f in family))
    in_dists = {n for n in in_dists if not re.fullmatch(r"AUTHSERVICE\d+|LDAP[A-Z_]+", n)}
    assert set(KNOWN_VARIABLES[name]) == in_dists, "update KNOWN_VARIABLES in courier/config.py"
    for n in in_dists:
        assert is_known(name, n)


def test_every_dist_setting_is_described() -> None:
    """Each ##NAME section carries a comment of our own before its value."""
    for name in FILES:
        text = (REPO / "etc" / f"{name}.dist").read_text()
        for section in text.split("##NAME:")[1:]:
            body = section.split("\n", 1)[1]
            prose = [ln for ln in body.splitlines() if ln.startswith("# ") and len(ln.split()) > 4]
            assert prose, f"{name}.dist: section {section.split()[0]} has no description"
