"""Frozen records: what the settings objects promise (compare, hash, print, refuse assignment)."""

from __future__ import annotations

import pytest

from courier.frozen import Frozen, FrozenError


class Point(Frozen):
    x: int = 0
    y: int = 0
    label: str = ""


class Named(Point):
    name: str = "n"


def test_defaults_keywords_equality_and_hash() -> None:
    p = Point(x=1, label="a")
    assert (p.x, p.y, p.label) == (1, 0, "a")
    assert p == Point(x=1, label="a") and hash(p) == hash(Point(x=1, label="a"))
    assert p != Point(x=2, label="a")
    assert Point() != Named()  # another class is never equal, even with the same values
    assert repr(p) == "Point(x=1, y=0, label='a')"
    assert repr(Named(name="z")) == "Named(x=0, y=0, label='', name='z')"


def test_assignment_is_refused_and_replace_makes_a_copy() -> None:
    p = Point(x=1)
    with pytest.raises(FrozenError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.y  # type: ignore[misc]
    q = p.replace(y=5)
    assert (p.y, q.y, q.x) == (0, 5, 1) and type(q) is Point


def test_unknown_keyword_is_an_error() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        Point(z=1)  # type: ignore[call-arg]


def test_a_field_without_default_is_required() -> None:
    class Required(Frozen):
        must: str

    with pytest.raises(TypeError, match="missing keyword argument 'must'"):
        Required()  # type: ignore[call-arg]
    assert Required(must="x").must == "x"
