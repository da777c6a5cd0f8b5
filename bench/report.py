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


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "/s":
        return f"{value:,.1f}/s"
    if unit == "MB":
        return f"{value:,.1f} MB"
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def median(case: dict[str, Any] | None, server: str) -> float | None:
    r = (case or {}).get("results", {}).get(server)
    s = r and r.get("summary")
    return s["median"] if s else None


def reference(cases: dict[str, Any], key: str, server: str) -> tuple[float | None, bool]:
    """(median of ``server`` for this row, taken from the row its goal compares with?)"""
    case = cases[key]
    own = median(case, server)
    compare = (case.get("goal") or {}).get("compare")
    if own is None and compare and compare in cases:
        return median(cases[compare], server), True
    return own, False


def failures(case: dict[str, Any], server: str = "ours") -> int:
    """Sessions that failed after their greeting, plus measurements that raised."""
    r = case.get("results", {}).get(server) or {}
    return int(r.get("counts", {}).get("failed", 0)) + int(r.get("errors", 0))


def verdict(cases: dict[str, Any], key: str) -> tuple[str, float | None]:
    """("met" | "missed" | "n/a" | "", the figure compared): an issue target checked on one run."""
    case = cases[key]
    goal = case.get("goal")
    if not goal:
        return "", None
    ours = median(case, "ours")
    if ours is None:
        return "n/a", None
    if goal["ref"] == "abs":
        figure: float | None = ours
    elif goal["ref"] == "floor":
        floor = median(cases.get("greeting_floor"), "ours")
        figure = ours / floor if floor else None
    else:
        theirs, _ = reference(cases, key, goal["ref"])
        figure = ours / theirs if theirs else None
    if figure is None:
        return "n/a", None
    ok = figure <= goal["value"] if goal["op"] == "<=" else figure >= goal["value"]
    if goal.get("max_failed") is not None and failures(case) > goal["max_failed"]:
        ok = False
    return ("met" if ok else "missed"), figure


def _ratio(ours: float | None, other: float | None) -> str:
    if ours is None or other is None or other == 0:
        return "n/a"
    return f"{ours / other:.2f}x"


def _result_cell(cases: dict[str, Any], key: str) -> str:
    state, figure = verdict(cases, key)
    if state in ("", "n/a"):
        return state
    case = cases[key]
    goal = case["goal"]
    if goal["ref"] == "abs":
        shown = fmt(figure, case["unit"])
    else:
        shown = f"{figure:.2f}x" + (" floor" if goal["ref"] == "floor" else "")
    if goal.get("max_failed") is not None:
        shown += f", {failures(case)} failed"
    return f"{'met' if state == 'met' else '**missed**'} ({shown})"


def machine_line(data: dict[str, Any]) -> str:
    m = data["machine"]
    took = data.get("elapsed_s")
    return (
        f"Run {m['date']} on {m['cpu']} ({m['cores']} cores, {m['memory_gb']} GB), Linux {m['kernel']}, "
        f"Python {m['python']}, load average {m.get('load_average', '?')}; "
        f"corpus {data['corpus']['small']:,} / {data['corpus']['big']:,} messages"
        f"{' (quick mode)' if data['quick'] else ''}"
        + (f"; the whole run took {took // 60} min {took % 60} s" if took is not None else "")
        + "."
    )


def markdown(data: dict[str, Any]) -> str:
    names = [n for n in ("ours", "courier", "dovecot") if n in data["servers"]]
    cases = data["cases"]
    out = [
        machine_line(data),
        "",
        "Median (p90) of the repetitions, the servers taking turns; ratios are ours / theirs on medians "
        "(for ms and MB lower is better, for /s higher is better); the result checks the target on "
        'this run\'s figures. A "first" row opens a folder no server has opened before; the '
        '"repeated" and "again" rows and the session and POP3 rows follow one untimed run on each server.',
        "",
        "| measurement | "
        + " | ".join(data["servers"][n] for n in names)
        + " | ours/Courier | ours/Dovecot | target | result |",
        "|---|" + "---|" * len(names) + "---|---|---|---|",
    ]
    borrowed = False
    tally = {"met": 0, "missed": 0, "n/a": 0}
    missed: list[str] = []
    for key, case in cases.items():
        row = [case["title"]]
        for n in names:
            r = case["results"].get(n)
            s = r and r["summary"]
            cell = "n/a" if not s else f"{fmt(s['median'], case['unit'])} ({fmt(s['p90'], case['unit'])})"
            if r and r.get("errors"):
                cell += f" [{r['errors']} errors]"
            if r and r.get("counts"):
                cell += " [" + ", ".join(f"{v} {k}" for k, v in r["counts"].items()) + "]"
            row.append(cell)
        ours = median(case, "ours")
        for other in ("courier", "dovecot"):
            theirs, from_compare = reference(cases, key, other)
            ratio = _ratio(ours, theirs)
            if from_compare and ratio != "n/a":
                ratio += " \\*"
                borrowed = True
            row.append(ratio)
        state, _ = verdict(cases, key)
        if state:
            tally[state] += 1
            if state == "missed":
                missed.append(case["title"])
        row += [case.get("target", ""), _result_cell(cases, key)]
        out.append("| " + " | ".join(row) + " |")
    if borrowed:
        out += [
            "",
            "\\* only our server runs behind systemd-socket-activate: compared with the other servers' "
            "figures in the row above it.",
        ]
    counted = tally["met"] + tally["missed"]
    if counted or tally["n/a"]:
        out += [
            "",
            f"Targets: {tally['met']} of {counted} met"
            + (f" ({tally['n/a']} not measured)" if tally["n/a"] else "")
            + (f"; missed: {'; '.join(missed)}." if missed else "."),
        ]
    if any(r.get("counts") for c in cases.values() for r in c["results"].values()):
        out += [
            "",
            "In the parallel rows, *refused* counts connections closed before a greeting (MAXPERIP or "
            "MAXDAEMONS, as each server is configured: 20 per address for Courier and us, none for "
            "Dovecot); *failed* counts sessions that broke off after their greeting. Each client retries "
            "50 ms later.",
        ]
    if data.get("notes"):
        out += ["", *[f"- {n}" for n in data["notes"]]]
    return "\n".join(out) + "\n"


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def readme_block(data: dict[str, Any], chart_path: str) -> str:
    return f"{BEGIN}\n![ratios to Courier-IMAP and Dovecot]({chart_path})\n\n{markdown(data)}{END}"


def update_readme(readme: Path, data: dict[str, Any], out_dir: Path) -> None:
    """Replace the text between the bench markers of ``readme`` with this run's chart and table."""
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{readme}: no {BEGIN} ... {END} section to replace")
    chart_path = os.path.relpath(out_dir.resolve() / "latest.png", readme.resolve().parent)
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + readme_block(data, chart_path) + tail)


def _short(ratio: float) -> str:
    if ratio != ratio:  # NaN: no figure for that server
        return ""
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.2g}x"


def _goal_vs_courier(cases: dict[str, Any], key: str) -> float:
    """Where the row's target lies on the chart's scale (our cost over Courier's), NaN if nowhere."""
    case = cases[key]
    goal = case.get("goal") or {}
    courier, _ = reference(cases, key, "courier")
    if not goal or not courier:
        return float("nan")
    if goal["ref"] == "courier":
        return float(1 / goal["value"] if case["unit"] == "/s" else goal["value"])
    if goal["ref"] == "floor":
        floor = median(cases.get("greeting_floor"), "ours")
        return float(goal["value"] * floor / courier) if floor else float("nan")
    return float(goal["value"] / courier)  # an absolute figure (MB)


def chart(data: dict[str, Any], path: Path) -> bool:
    """Horizontal bars of our time-like ratio to each server (log scale; left of 1 = we are faster)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    labels: list[str] = []
    vs_c: list[float] = []
    vs_d: list[float] = []
    goals: list[float] = []
    cases = data["cases"]
    for key, case in cases.items():
        ours = median(case, "ours")
        if ours is None or ours == 0:
            continue
        ratios = []
        for other in ("courier", "dovecot"):
            o, _ = reference(cases, key, other)
            if o is None or o == 0:
                ratios.append(float("nan"))
            else:
                ratios.append(o / ours if case["unit"] == "/s" else ours / o)
        if all(r != r for r in ratios):
            continue
        labels.append(case["title"])
        vs_c.append(ratios[0])
        vs_d.append(ratios[1])
        goals.append(_goal_vs_courier(cases, key))
    if not labels:
        return False
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(labels) + 1.6))
    ys = range(len(labels))
    ax.barh([y - 0.2 for y in ys], vs_c, height=0.4, label="ours vs Courier-IMAP", color="#3b75af")
    ax.barh([y + 0.2 for y in ys], vs_d, height=0.4, label="ours vs Dovecot", color="#ef8636")
    ax.axvline(1.0, color="black", linewidth=1)
    for bars in ax.containers:
        texts = ax.bar_label(bars, labels=[_short(v) for v in bars.datavalues], fontsize=6, padding=3)
        for t in texts:  # readable over a target mark
            t.set(zorder=4, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.8})
    ax.scatter(goals, [y - 0.2 for y in ys], marker="|", s=260, linewidths=2.5, color="#c0392b",
               label="issue 11 target", zorder=3)  # fmt: skip
    ax.set_xscale("log")
    left, right = ax.get_xlim()
    ax.set_xlim(left, right * 2)  # room for the labels
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("cost ratio, ours / theirs (time, memory; inverse for rates); < 1 = ours better")
    met = [verdict(cases, k)[0] for k in cases]
    ax.set_title(
        f"courier-imap benchmark, {data['machine']['date']}: "
        f"{met.count('met')} of {met.count('met') + met.count('missed')} targets met"
    )
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


def main(argv: list[str] | None = None) -> int:
    """Render latest.md, latest.png (and a README section) again from a results JSON."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m bench.report", description=main.__doc__)
    p.add_argument("json", type=Path, help="a latest.json written by python -m bench")
    p.add_argument("--readme", type=Path, default=None, help="also update this README's bench section")
    args = p.parse_args(argv)
    data = json.loads(args.json.read_text())
    out = args.json.resolve().parent
    for path in write(data, out):
        print(f"wrote {path}")
    if args.readme:
        update_readme(args.readme, data, out)
        print(f"updated {args.readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
