"""RFC 5256 base subjects, SORT and THREAD on the reference mailbox and on hand-checked cases."""

from __future__ import annotations

import calendar

import pytest

from courier.mime.sort import SortData, base_subject, sort_messages
from courier.mime.summary import summarize
from courier.mime.thread import ThreadData, format_threads, orderedsubject, references
from tests.mime import fixtures

ARRIVAL = [
    calendar.timegm((1994, 2, 8, 5, 52, 25)),
    calendar.timegm((2022, 3, 1, 9, 0, 0)),
    calendar.timegm((2022, 3, 2, 12, 0, 0)),
]


def _sort_data() -> list[SortData]:
    return [summarize(m).sort_data(i + 1, ARRIVAL[i]) for i, m in enumerate(fixtures.SEARCH_MAILBOX)]


def _thread_data() -> list[ThreadData]:
    return [summarize(m).thread_data(i + 1, ARRIVAL[i]) for i, m in enumerate(fixtures.SEARCH_MAILBOX)]


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ([("DATE", False)], [1, 2, 3]),
        ([("DATE", True)], [3, 2, 1]),
        ([("ARRIVAL", False)], [1, 2, 3]),
        ([("FROM", False)], [1, 3, 2]),
        ([("SIZE", False)], [1, 2, 3]),
        # Courier printed 2 3 1, 3 2 1 and 3 1 2: equal keys in its own (qsort) order;
        # RFC 5256 keeps them in sequence order (docs/differences.md).
        ([("SUBJECT", False)], [2, 1, 3]),
        ([("TO", False)], [1, 2, 3]),
        ([("CC", False)], [1, 3, 2]),
        ([("SUBJECT", False), ("DATE", True)], [2, 3, 1]),
        ([("TO", True), ("SIZE", True)], [3, 2, 1]),
    ],
)
def test_sort_reference_mailbox(criteria: list[tuple[str, bool]], expected: list[int]) -> None:
    assert sort_messages(_sort_data(), criteria) == expected


def test_sort_subset_reverse_size() -> None:
    unseen = [d for d in _sort_data() if d.seq in (2, 3)]
    assert sort_messages(unseen, [("SIZE", True)]) == [3, 2]


def test_threads_reference_mailbox() -> None:
    assert format_threads(orderedsubject(_thread_data())) == "(1 3)(2)"
    assert format_threads(references(_thread_data())) == "(1 (2)(3))"


@pytest.mark.parametrize(
    ("subject", "base", "reply"),
    [
        ("Hello world", "hello world", False),
        ("Re: Hello world", "hello world", True),
        ("RE:re:Fwd: x", "x", True),
        ("Fw: [list] Re: x", "x", True),
        ("[list] x", "x", False),
        ("[list]", "[list]", False),
        ("x (fwd) (FWD)  ", "x", True),
        ("[Fwd: Re: [a] b]", "b", True),
        ("[fwd: x] (fwd)", "x", True),
        ("Re [2]: x", "x", True),
        ("  spaced\t\tout  ", "spaced out", False),
        ("Grüße", "grüsse", False),
        ("", "", False),
        ("Re:", "", True),
    ],
)
def test_base_subject(subject: str, base: str, reply: bool) -> None:
    assert base_subject(subject) == (base, reply)


def test_base_subject_is_bounded() -> None:
    base_subject("[x]" * 1_000_000 + "(fwd)" * 1_000_000)  # returns promptly


def _t(seq: int, day: int, subject: str = "s", mid: str | None = None, refs: str | None = None,
       irt: str | None = None) -> ThreadData:  # fmt: skip
    base, reply = base_subject(subject)
    return ThreadData(seq, day * 86400.0, base, reply, mid, refs, irt)


def test_references_chain_and_branches() -> None:
    msgs = [
        _t(1, 1, "a", "<1>"),
        _t(2, 2, "Re: a", "<2>", "<1>"),
        _t(3, 3, "Re: a", "<3>", "<1> <2>"),
        _t(4, 4, "Re: a", "<4>", irt="<1>"),
        _t(5, 5, "b", "<5>"),
    ]
    assert format_threads(references(msgs)) == "(1 (2 3)(4))(5)"


def test_references_missing_parent_makes_dummy_root() -> None:
    msgs = [_t(1, 1, "x", "<1>", "<gone>"), _t(2, 2, "y", "<2>", "<gone>"), _t(3, 3, "z", "<3>")]
    assert references(msgs) == [[[1], [2]], [3]]
    assert format_threads(references(msgs)) == "((1)(2))(3)"


def test_references_single_child_dummy_is_promoted() -> None:
    msgs = [_t(1, 2, "x", "<1>", "<gone>"), _t(2, 1, "y", "<2>")]
    assert format_threads(references(msgs)) == "(2)(1)"


def test_references_nested_dummy_children_are_spliced() -> None:
    msgs = [_t(1, 1, "a", "<1>"), _t(2, 2, "b", "<2>", "<1> <gone>"), _t(3, 3, "c", "<3>", "<1> <gone>")]
    assert format_threads(references(msgs)) == "(1 (2)(3))"


def test_references_subject_merge() -> None:
    msgs = [
        _t(1, 1, "Re: topic", "<1>"),
        _t(2, 2, "topic", "<2>"),
        _t(3, 3, "other", "<3>"),
        _t(4, 4, "other", "<4>"),
    ]
    # a reply joins the non-reply; two non-replies get a dummy parent
    assert format_threads(references(msgs)) == "(2 1)((3)(4))"


def test_references_loops_duplicates_and_self_references() -> None:
    msgs = [
        _t(1, 1, "a", "<1>", "<2>"),
        _t(2, 2, "b", "<2>", "<1>"),  # loop
        _t(3, 3, "c", "<2>"),  # duplicate Message-ID: gets its own
        _t(4, 4, "d", "<4>", "<4>"),  # refers to itself
        _t(5, 5, "e"),  # no Message-ID
    ]
    threads = references(msgs)
    flat = format_threads(threads)
    assert sorted(int(x) for x in flat.replace("(", " ").replace(")", " ").split()) == [1, 2, 3, 4, 5]
    assert flat == "(2 1)(3)(4)(5)"


def test_references_large_is_fast() -> None:
    msgs = [_t(i, i, f"s{i % 50}", f"<{i}>", f"<{i // 2}> <{i - 1}>") for i in range(1, 5001)]
    threads = references(msgs)
    assert format_threads(threads).count("(") >= 1


def test_orderedsubject_groups_children_under_first() -> None:
    msgs = [_t(1, 3, "a"), _t(2, 1, "Re: a"), _t(3, 2, "b"), _t(4, 4, "Fwd: a"), _t(5, 5, "re: b")]
    assert orderedsubject(msgs) == [[2, [1], [4]], [3, 5]]
    assert format_threads(orderedsubject(msgs)) == "(2 (1)(4))(3 5)"


def test_hostile_references_are_bounded() -> None:
    import time

    refs = " ".join(f"<r{i}>" for i in range(200_000))
    msgs = [_t(1, 1, "a", "<me>", refs), _t(2, 2, "b", "<r5>", "<me>")]
    t = time.perf_counter()
    assert format_threads(references(msgs)) == "(1 2)"
    assert time.perf_counter() - t < 10
