"""The benchmark report: targets checked per row, the Markdown table, the README section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import measure, report


def _case(unit: str, goal: measure.Goal | None, **medians: float | None) -> dict[str, Any]:
    return {
        "title": "row",
        "unit": unit,
        "target": goal.text(unit) if goal else "",
        "goal": goal.as_dict() if goal else None,
        "results": {
            n: {"samples": [], "summary": report.summary([m]) if m is not None else None, "errors": 0}
            for n, m in medians.items()
        },
    }


def _data(cases: dict[str, Any]) -> dict[str, Any]:
    return {
        "machine": {
            "date": "2026-01-01 00:00 UTC",
            "cpu": "cpu",
            "cores": 2,
            "memory_gb": 1.0,
            "kernel": "6",
            "python": "3.11",
        },
        "quick": False,
        "corpus": {"small": 10, "big": 100, "seed": 1},
        "servers": {"ours": "ours", "courier": "Courier", "dovecot": "Dovecot"},
        "cases": cases,
        "notes": [],
        "elapsed_s": 326,
    }


def test_time_target_against_courier() -> None:
    cases = {
        "fast": _case("ms", measure.Goal("courier", "<=", 0.5), ours=40, courier=100, dovecot=10),
        "slow": _case("ms", measure.Goal("courier", "<=", 0.5), ours=60, courier=100, dovecot=10),
    }
    assert report.verdict(cases, "fast") == ("met", 0.4)
    assert report.verdict(cases, "slow") == ("missed", 0.6)


def test_rate_target_is_a_lower_bound_and_failures_miss_it() -> None:
    goal = measure.Goal("courier", ">=", 2, max_failed=0)
    cases = {"p": _case("/s", goal, ours=30, courier=10)}
    assert report.verdict(cases, "p")[0] == "met"
    cases["p"]["results"]["ours"]["counts"] = {"failed": 1, "refused": 500}
    assert report.verdict(cases, "p")[0] == "missed"
    cases["p"]["results"]["ours"]["counts"] = {"failed": 0, "refused": 500}
    assert report.verdict(cases, "p")[0] == "met"  # refusals are what MAXPERIP asks for


def test_floor_and_absolute_targets() -> None:
    cases = {
        "greeting": _case("ms", measure.Goal("floor", "<=", 1.3), ours=12, courier=2),
        "greeting_floor": _case("ms", None, ours=10),
        "pss": _case("MB", measure.Goal("abs", "<=", 20), ours=25, courier=3),
    }
    assert report.verdict(cases, "greeting") == ("met", 1.2)
    assert report.verdict(cases, "greeting_floor") == ("", None)
    assert report.verdict(cases, "pss") == ("missed", 25)
    # on the chart, the targets sit where they fall against Courier's figure
    assert report._goal_vs_courier(cases, "greeting") == pytest.approx(6.5)
    assert report._goal_vs_courier(cases, "pss") == pytest.approx(20 / 3)


def test_activate_row_compares_with_the_launcher_row() -> None:
    cases = {
        "session": _case("ms", measure.Goal("courier", "<=", 1), ours=50, courier=40),
        "session_activate": _case(
            "ms", measure.Goal("courier", "<=", 1, compare="session"), ours=30, courier=None
        ),
    }
    assert report.verdict(cases, "session_activate") == ("met", 0.75)
    md = report.markdown(_data(cases))
    assert "0.75x \\*" in md


def test_missing_figure_is_not_a_verdict() -> None:
    cases = {"x": _case("ms", measure.Goal("courier", "<=", 1), ours=None, courier=10)}
    assert report.verdict(cases, "x") == ("n/a", None)


def test_markdown_shows_results_and_tally() -> None:
    cases = {
        "a": _case("ms", measure.Goal("courier", "<=", 1), ours=5, courier=10, dovecot=1),
        "b": _case("/s", measure.Goal("courier", ">=", 0.5), ours=1, courier=10, dovecot=1),
    }
    cases["b"]["title"] = "APPEND"
    md = report.markdown(_data(cases))
    assert "| met (0.50x) |" in md
    assert "| **missed** (0.10x) |" in md
    assert "Targets: 1 of 2 met; missed: APPEND." in md
    assert "the whole run took 5 min 26 s" in md


def test_readme_section_is_replaced_between_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n\n{report.BEGIN}\nold table\n{report.END}\n\nafter\n")
    data = _data({"a": _case("ms", measure.Goal("courier", "<=", 1), ours=5, courier=10)})
    out = tmp_path / "bench" / "results"
    report.update_readme(readme, data, out)
    first = readme.read_text()
    assert "old table" not in first
    assert first.startswith("# x\n\nbefore\n\n") and first.endswith("\n\nafter\n")
    assert "![ratios to Courier-IMAP and Dovecot](bench/results/latest.png)" in first
    report.update_readme(readme, data, out)
    assert readme.read_text() == first


def test_readme_without_markers_is_refused(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# x\n")
    with pytest.raises(ValueError, match="bench:begin"):
        report.update_readme(readme, _data({}), tmp_path)
    assert readme.read_text() == "# x\n"


def test_write_gives_json_markdown_and_chart(tmp_path: Path) -> None:
    cases = {"a": _case("ms", measure.Goal("courier", "<=", 1), ours=5, courier=10, dovecot=2)}
    written = report.write(_data(cases), tmp_path)
    assert [p.name for p in written] == ["latest.json", "latest.md", "latest.png"]
    assert (tmp_path / "latest.png").read_bytes().startswith(b"\x89PNG")


def test_every_issue_target_has_a_row() -> None:
    keys = {c.key: c for c in measure.cases(10.0, 10_000, 100_000)}
    assert len(keys) == len(measure.cases(10.0, 10_000, 100_000))
    with_goal = {k for k, c in keys.items() if c.goal}
    assert with_goal == {
        "greeting", "greeting_activate", "session", "session_activate", "starttls", "envelope",
        "bodystructure", "search_from", "search_subject", "search_text", "body200", "append",
        "parallel10", "parallel50", "pss_session", "rss_session100k", "pop3",
    }  # fmt: skip
    assert keys["parallel10"].target == ">= 2x Courier, 0 failed"
    assert keys["pss_session"].target == "<= 20 MB"
    warm = {k for k, c in keys.items() if c.warmup}
    assert {"session", "envelope", "bodystructure", "search_from", "search_subject"} <= warm
    firsts = {"envelope_first", "bodystructure_first", "select10k_first", "select100k_first", "pop3_first"}
    assert not warm & firsts
    assert "pop3" in warm  # the first login's size-list build has its own row
    assert "rss_session100k" not in {c.key for c in measure.cases(10.0, 10_000, 0)}
