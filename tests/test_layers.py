"""Imports run one way: protocol -> commands -> storage interface -> maildir.

Every import in the package, including lazy ones inside functions, is checked
against the floors of the design: a module may import only from its own
package or from a lower floor; imap and pop3 never import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "courier"

FLOORS: dict[str, int] = {
    "__init__": 0,
    "config": 0,
    "frozen": -1,  # below everything: the records every layer defines
    "privs": 0,
    "sasl": 0,
    "storage": 0,
    "mime": 0,
    "userdb": 0,
    "auth": 1,
    "maildir": 1,
    "tls": 1,
    "log": 1,
    "authdaemon": 2,
    "net": 2,
    "login": 3,
    "imap": 4,
    "pop3": 4,
    "cli": 5,
}


def _part(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("courier")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - node.level + (1 if path.name == "__init__.py" else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("courier"):
                if mod == "courier":
                    found += [(node.lineno, f"courier.{a.name}") for a in node.names]
                else:
                    found.append((node.lineno, mod))
    return found


def test_every_package_has_a_floor() -> None:
    for child in PKG.iterdir():
        if (child.name.startswith(("_", ".")) and child.name != "__init__.py") or child.name == "py.typed":
            continue
        name = child.stem
        assert name in FLOORS, f"courier/{child.name} has no floor in tests/test_layers.py"


def test_imports_go_down() -> None:
    problems: list[str] = []
    for path in PKG.rglob("*.py"):
        here = _part("courier." + ".".join(path.relative_to(PKG).with_suffix("").parts))
        for lineno, target in _imports(path):
            there = _part(target)
            if there == here or target == "courier":
                continue
            if {here, there} == {"imap", "pop3"} or FLOORS.get(there, 99) >= FLOORS[here]:
                problems.append(f"{path.relative_to(PKG.parent)}:{lineno}: {here} imports {target}")
    assert not problems, "imports that run up or sideways:\n" + "\n".join(problems)
