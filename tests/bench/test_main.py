"""``python -m bench`` options that need no servers."""

from __future__ import annotations

import pytest

from bench.__main__ import main


def test_list_names_every_measurement_with_its_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "session_activate " in out
    assert "[target <= 1x Courier]" in out
    assert len(out.splitlines()) >= 25


def test_unknown_only_key_is_refused_before_any_work(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--only", "greeting,sesion", "--out", "/nonexistent/never-written"])
    assert e.value.code == 2
    assert "no measurement sesion" in capsys.readouterr().err
