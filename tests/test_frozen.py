"""courier.frozen: the dataclasses stand-in behaves as dataclasses do where the package relies on it."""

from __future__ import annotations

import dataclasses

import pytest

from courier.frozen import FrozenInstanceError, dataclass, field, replace, warm


@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Counter:
    n: int = 0
    seen: list[int] = field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True)
class Reference:  # the same as Point, built by dataclasses
    x: int
    y: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)


def test_construction_repr_equality_and_hash_match_dataclasses() -> None:
    ours, theirs = Point(1, y=2), Reference(1, y=2)
    assert repr(ours).replace("Point", "Reference") == repr(theirs)
    assert ours == Point(x=1, y=2, tags=[]) and ours != Point(2)
    assert Point(1) != Reference(1)  # another class never compares equal
    assert hash(Point(1, 2, ())) == hash(Point(1, 2, ()))  # type: ignore[arg-type]
    assert Point(1).tags is not Point(1).tags  # a fresh default per instance
    assert Point.__slots__ == ("x", "y", "tags") and not hasattr(Point(1), "__dict__")


def test_frozen_refuses_assignment_and_replace_copies() -> None:
    p = Point(1)
    with pytest.raises(FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.y  # type: ignore[misc]
    q = replace(p, y=5)
    assert (p.y, q.y, q.x, type(q)) == (0, 5, 1, Point)


def test_mutable_records_assign_and_are_unhashable() -> None:
    c = Counter()
    c.n += 1
    c.seen.append(3)
    assert c == Counter(1, [3]) and Counter().seen == []
    with pytest.raises(TypeError):
        hash(c)
    with pytest.raises(AttributeError):
        c.other = 1  # type: ignore[attr-defined]  # slots: no stray attributes


def test_argument_errors_are_like_a_function_call() -> None:
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, z=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="non-default argument"):

        @dataclass()
        class Bad:
            a: int = 0
            b: int  # type: ignore[misc]


def test_warm_compiles_constructors_ahead() -> None:
    @dataclass(frozen=True, slots=True)
    class Late:
        a: int

    assert Late.__init__.__name__ == "_first_init"
    warm()
    assert Late.__init__.__name__ == "__init__" and Late(a=3).a == 3
