"""Results as JSON, a Markdown table with our ratios to Courier and Dovecot, and a PNG chart."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any


def summary(samples: list[float]) -> dict[str, float] | None:
    if not samples:
        return None
    xs = sorted(samples)
    return {"median": statistics.median(xs), "p90": xs[min(len(xs) - 1, (len(xs) * 9) // 10)], "n": len(xs)}


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": round(os.getloadavg()[1], 1),  # 5-minute, at the end of the run
    }


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "/s":
        return f"{value:,.1f}/s"
    if unit == "MB":
        return f"{value:,.1f} MB"
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def _ratio(ours: float | None, other: float | None) -> str:
    if ours is None or other is None or other == 0:
        return "n/a"
    return f"{ours / other:.2f}x"


def markdown(data: dict[str, Any]) -> str:
    names = [n for n in ("ours", "courier", "dovecot") if n in data["servers"]]
    m = data["machine"]
    out = [
        f"Run {m['date']} on {m['cpu']} ({m['cores']} cores, {m['memory_gb']} GB), Linux {m['kernel']}, "
        f"Python {m['python']}, load average {m.get('load_average', '?')}; "
        f"corpus {data['corpus']['small']:,} / {data['corpus']['big']:,} messages"
        f"{' (quick mode)' if data['quick'] else ''}.",
        "",
        "Median (p90); ratios are ours / theirs on medians "
        "(for ms and MB lower is better, for /s higher is better).",
        "",
        "| measurement | "
        + " | ".join(data["servers"][n] for n in names)
        + " | ours/Courier | ours/Dovecot | target |",
        "|---|" + "---|" * len(names) + "---|---|---|",
    ]
    for key, case in data["cases"].items():
        row = [case["title"]]
        med: dict[str, float | None] = {}
        for n in names:
            r = case["results"].get(n)
            s = r and r["summary"]
            med[n] = s["median"] if s else None
            cell = "n/a" if not s else f"{_fmt(s['median'], case['unit'])} ({_fmt(s['p90'], case['unit'])})"
            if r and r.get("errors"):
                cell += f" [{r['errors']} errors]"
            row.append(cell)
        base = med.get("ours")
        if key in ("greeting", "greeting_activate") and "greeting_floor" in data["cases"]:
            floor = data["cases"]["greeting_floor"]["results"].get("ours", {}).get("summary")
            if floor and base is not None:
                case_target = f"{case['target']} (ours/floor {base / floor['median']:.2f}x)"
            else:
                case_target = case["target"]
        else:
            case_target = case["target"]
        row += [_ratio(base, med.get("courier")), _ratio(base, med.get("dovecot")), case_target]
        out.append("| " + " | ".join(row) + " |")
    extra = {n: d for n, d in (data.get("extra") or {}).items() if d}
    if extra:
        out += [
            "",
            "Errors and refusals in the parallel runs (per server): "
            + "; ".join(
                f"{data['servers'][n]}: " + ", ".join(f"{k} {v}" for k, v in d.items())
                for n, d in extra.items()
                if d
            ),
        ]
    if data.get("notes"):
        out += ["", *[f"- {n}" for n in data["notes"]]]
    return "\n".join(out) + "\n"


def chart(data: dict[str, Any], path: Path) -> bool:
    """Horizontal bars of our time-like ratio to each server (log scale; left of 1 = we are faster)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    labels, vs_c, vs_d = [], [], []
    for case in data["cases"].values():
        res = case["results"]

        def med(n: str, res: dict[str, Any] = res) -> float | None:
            s = res.get(n, {}).get("summary")
            return s["median"] if s else None

        ours = med("ours")
        if ours is None or ours == 0:
            continue
        ratios = []
        for other in ("courier", "dovecot"):
            o = med(other)
            if o is None or o == 0:
                ratios.append(float("nan"))
            else:
                ratios.append(o / ours if case["unit"] == "/s" else ours / o)
        if all(r != r for r in ratios):
            continue
        labels.append(case["title"])
        vs_c.append(ratios[0])
        vs_d.append(ratios[1])
    if not labels:
        return False
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(labels) + 1.6))
    ys = range(len(labels))
    ax.barh([y - 0.2 for y in ys], vs_c, height=0.4, label="ours vs Courier-IMAP", color="#3b75af")
    ax.barh([y + 0.2 for y in ys], vs_d, height=0.4, label="ours vs Dovecot", color="#ef8636")
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("cost ratio, ours / theirs (time, memory; inverse for rates); < 1 = ours better")
    ax.set_title(f"courier-imap benchmark, {data['machine']['date']}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(data: dict[str, Any], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    js = out_dir / "latest.json"
    js.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    md = out_dir / "latest.md"
    md.write_text(markdown(data))
    written = [js, md]
    png = out_dir / "latest.png"
    if chart(data, png):
        written.append(png)
    return written
