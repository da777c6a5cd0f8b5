"""The LDAP and SQL drivers are loaded only by authdaemond workers that use them.

psycopg alone costs over 100 ms to import; a per-connection imapd or pop3d must
never pay for it, nor an authdaemond whose authmodulelist does not name the module.
"""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

from tests.conftest import PYTHON, child_env

DRIVERS = ("ldap", "pymysql", "psycopg")


def loaded_drivers(code: str) -> list[str]:
    probe = code + f"\nimport sys\nprint(','.join(m for m in {DRIVERS!r} if m in sys.modules))\n"
    out = subprocess.run([PYTHON, "-c", probe], env=child_env(), capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_connection_path_never_imports_drivers() -> None:
    modules = ["courier.login", "courier.authdaemon.client", "courier.cli.pop3d", "courier.cli.imapd"]
    present = [m for m in modules if importlib.util.find_spec(m) is not None]
    assert "courier.login" in present
    assert loaded_drivers("\n".join(f"import {m}" for m in present)) == []


def test_chain_without_backend_modules_never_imports_drivers(tmp_path: Path) -> None:
    code = f"""
from pathlib import Path
from courier.auth.chain import ModuleContext, load_chain
chain, warnings = load_chain(["authuserdb"], ModuleContext(Path({str(tmp_path)!r})), {{}})
chain.pre("imap", "nobody@example.com")
"""
    assert loaded_drivers(code) == []


def test_each_driver_is_loaded_on_first_use_only(tmp_path: Path) -> None:
    # A configured but unused module costs nothing; its first request loads only its own driver.
    code = f"""
from pathlib import Path
from courier.auth.chain import ModuleContext, load_chain
d = Path({str(tmp_path)!r})
(d / "authmysqlrc").write_text("##NAME: x:0\\nMYSQL_SERVER 127.0.0.1\\nMYSQL_PORT 1\\n")
chain, warnings = load_chain(["authldap", "authmysql", "authpgsql"], ModuleContext(d), {{}})
mysql = chain.modules[1]
try:
    mysql.pre("imap", "nobody@example.com")
except Exception as exc:
    assert type(exc).__name__ == "TempFail", exc
"""
    assert loaded_drivers(code) == ["pymysql"]
