"""``make bench``: run every benchmark module in bench/ that has a main()."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> int:
    status = 0
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if hasattr(module, "main"):
            print(f"## {info.name}")
            status |= int(module.main([]) or 0)
            print()
    return status


if __name__ == "__main__":
    raise SystemExit(main())
