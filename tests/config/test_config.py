"""The config parser: sh quoting, $VAR expansion, continuation, markers, errors."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courier.config import (
    ConfigError,
    _expand,
    _marker,
    as_bool,
    as_int,
    as_octal,
    as_str,
    as_words,
    is_known,
    parse_text,
    read_chain,
    read_config,
)

P = Path("/etc/courier/imapd")


def values(text: str, **env: str) -> dict[str, str]:
    return dict(parse_text(text, P, env).values)


def sh_values(tmp_path: Path, text: str, names: list[str]) -> dict[str, str]:
    """What /bin/sh makes of the same text: the oracle the parser has to agree with."""
    f = tmp_path / "conf"
    f.write_text(text)
    script = f"set -a; . {f}; " + "; ".join(f'printf "%s\\0" "${{{n}-}}"' for n in names)
    out = subprocess.run(["sh", "-c", script], env={}, capture_output=True, check=True).stdout
    return dict(zip(names, out.decode().split("\0")[:-1], strict=True))


QUOTING = r"""
PLAIN=143
DQ="IMAP4rev1 UIDPLUS"
SQ='a $PLAIN "b"'
MIXED=pre"$PLAIN"'$PLAIN'post
ESC="say \"hi\" \$PLAIN \\ back\`tick"
BARE=a\ b
BRACED="${PLAIN}x"
UNSET="[$NOPE]"
TRAIL=value   # comment after the value
HASH=a#b
EMPTY=
EMPTYQ=""
export EXPORTED=yes
CONT="one \
two"
CONTBARE=abc\
def
# a comment ending in a backslash \
AFTERCOMMENT=kept
"""


def test_quoting_matches_sh(tmp_path: Path) -> None:
    names = [
        "PLAIN", "DQ", "SQ", "MIXED", "ESC", "BARE", "BRACED", "UNSET", "TRAIL", "HASH",
        "EMPTY", "EMPTYQ", "EXPORTED", "CONT", "CONTBARE", "AFTERCOMMENT",
    ]  # fmt: skip
    ours = values(QUOTING)
    assert {n: ours[n] for n in names} == sh_values(tmp_path, QUOTING, names)
    assert ours["MIXED"] == "pre143$PLAINpost"
    assert ours["CONT"] == "one two"


def test_variable_from_an_earlier_file_expands(config_dir: Path) -> None:
    (config_dir / "imapd").write_text('IMAP_CAPABILITY="IMAP4rev1 IDLE"\nMAXDAEMONS=40\n')
    (config_dir / "imapd-ssl").write_text(
        'IMAP_CAPABILITY_TLS="$IMAP_CAPABILITY AUTH=PLAIN"\nMAXDAEMONS=7\n'
        'TLS_STARTTLS_PROTOCOL="$TLS_PROTOCOL"\n'
    )
    merged = read_chain(config_dir, "imapd", "imapd-ssl", warn=None)
    assert merged["IMAP_CAPABILITY_TLS"] == "IMAP4rev1 IDLE AUTH=PLAIN"
    assert merged["MAXDAEMONS"] == "7"  # the later file wins
    assert merged["TLS_STARTTLS_PROTOCOL"] == ""


def test_markers_are_recorded_and_not_values() -> None:
    cf = parse_text(
        "##VERSION: x\n##NAME: ADDRESS:0\n#\nADDRESS=0\n##NAME: ACCESSFILE:3\nIMAPACCESSFILE=/x\n", P
    )
    assert cf.markers == ("ADDRESS", "ACCESSFILE")
    assert dict(cf.values) == {"ADDRESS": "0", "IMAPACCESSFILE": "/x"}
    assert cf.lines["IMAPACCESSFILE"] == 6


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("A=1\nthis is not an assignment\n", 2, "expected NAME=value"),
        ('A=1\n\nB="open\n', 3, "unterminated double quote"),
        ("B='open\n", 1, "unterminated single quote"),
        ("A=two words\n", 1, "unquoted space"),
        ("A=`id`\n", 1, "shell syntax"),
        ('A="$(id)"\n', 1, "command substitution"),
        ('A="`id`"\n', 1, "command substitution"),
        ("A=x;rm -rf /\n", 1, "shell syntax"),
        ('A="${B:-x}"\n', 1, "only plain ${NAME}"),
        ("1A=x\n", 1, "expected NAME=value"),
    ],
)
def test_malformed_line_names_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_text(text, P)
    assert f"/etc/courier/imapd:{line}:" in str(exc.value)
    assert fragment in str(exc.value)


def test_escaped_dollar_and_backquote_are_literal() -> None:
    assert values('A="\\$(x) \\`y\\` \\${z}"\n')["A"] == "$(x) `y` ${z}"


def test_missing_file_reads_empty_and_directory_is_an_error(tmp_path: Path) -> None:
    assert dict(read_config(tmp_path / "absent").values) == {}
    with pytest.raises(ConfigError, match="is a directory"):
        read_config(tmp_path)


def test_unknown_variable_is_kept_and_warned_about(config_dir: Path) -> None:
    (config_dir / "imapd").write_text("MAXDAEMONS=3\nIMAP_CAPABILTY=typo\nAUTHSERVICE1143=imapx\n")
    warnings: list[str] = []
    merged = read_chain(config_dir, "imapd", warn=warnings.append)
    assert merged["IMAP_CAPABILTY"] == "typo"
    assert len(warnings) == 1
    assert f"{config_dir}/imapd:2: unknown variable IMAP_CAPABILTY" in warnings[0]


def test_unknown_variable_goes_to_stderr_by_default(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config_dir / "pop3d").write_text("POP3_TYPO=1\n")
    read_chain(config_dir, "pop3d")
    assert "unknown variable POP3_TYPO" in capsys.readouterr().err


def test_known_names() -> None:
    assert is_known("imapd", "IMAP_CAPABILITY")
    assert is_known("imapd", "TLS_CERTFILE")  # imapd-ssl's names are fine in imapd too
    assert is_known("pop3d", "AUTHSERVICE995")
    assert is_known("authdaemonrc", "LDAPTLS_CACERT")
    assert not is_known("pop3d", "IMAP_CAPABILITY")
    assert is_known("authmysqlrc", "ANYTHING")  # no list: no warning


def test_typed_helpers() -> None:
    v = {"N": "40", "H": "0x10", "BAD": "4O", "B": "YES", "U": "022", "W": " a  b ", "E": ""}
    assert as_int(v, "N", 1) == 40
    assert as_int(v, "H", 1) == 16
    assert as_int(v, "E", 7) == 7
    with pytest.raises(ConfigError, match="BAD='4O' is not a whole number"):
        as_int(v, "BAD", 1, "imapd")
    assert as_bool(v, "B", False) is True
    assert as_bool(v, "N", True) is False
    assert as_octal(v, "U", 0) == 0o22
    with pytest.raises(ConfigError, match="octal"):
        as_octal(v, "BAD", 0)
    assert as_words(v, "W") == ("a", "b")
    assert as_str(v, "E", "dflt") == "dflt"


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.sampled_from([*"ab $\"'\\#{}()`;|&<>~:*?!-1_=\t", "$B", "${B}", "\\\n", "\\ #", " #"]), max_size=10
    ).map("".join)
)
def test_any_value_is_refused_or_read_exactly_like_sh(tmp_path: Path, value: str) -> None:
    text = f"B=bee\nA={value}\n"
    try:
        ours = values(text)
    except ConfigError:
        return  # stricter than sh is fine: the admin gets an error naming the line
    f = tmp_path / "fuzz"
    f.write_text(text)
    r = subprocess.run(
        ["sh", "-c", f'set -a; . {f} && printf "%s\\0%s" "$A" "$B"'], env={}, capture_output=True, timeout=10
    )
    assert r.returncode == 0 and r.stderr == b"", f"we accepted what sh refuses: {value!r}"
    a, b = r.stdout.decode().split("\0")
    assert (ours.get("A"), ours["B"]) == (a, b), value


def test_backslash_at_end_of_file_is_literal(tmp_path: Path) -> None:
    assert values("A=abc\\") == sh_values(tmp_path, "A=abc\\", ["A"]) == {"A": "abc\\"}


# The regular expressions the parser used before it dropped `re` (imported before every
# greeting): the hand-written scanner must agree with them exactly, errors included.
_VAR = re.compile(r"(?<!\x00)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_MARKER = re.compile(r"##NAME:\s*([^:\s]+)\s*:\s*([0-9]+)\s*$")
_SUBST = re.compile(r"(?<!\x00)(?:\$\(|`)")
_SPECIAL = re.compile(r"(?<!\x00)\$[0-9*@#?$!-]")
_BRACE = re.compile(r"(?<!\x00)\$\{(?![A-Za-z_][A-Za-z0-9_]*\})")


def _expand_by_regex(text: str, env: dict[str, str]) -> str:
    if _SUBST.search(text):
        raise ConfigError("w: command substitution is not supported in a config value")
    special = _SPECIAL.search(text)
    if special:
        raise ConfigError(f"w: {special.group()} is a shell parameter; write \\$ for a dollar sign")
    if _BRACE.search(text):
        raise ConfigError("w: only plain ${NAME} is supported, not other ${...} forms")
    return _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), ""), text)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None)
@given(
    st.lists(st.sampled_from([*"$`{}()\x00aB_1 -*@#?!:é", "${B}", "$B", "${", "$("]), max_size=12).map(
        "".join
    )
)
def test_expansion_agrees_with_the_regular_expressions(text: str) -> None:
    env = {"B": "bee", "aB_1": "x", "a": "y", "B_": "z"}
    try:
        expected: str | BaseException = _expand_by_regex(text, env)
    except ConfigError as exc:
        expected = exc
    try:
        got = _expand(text, env, "w")
    except ConfigError as exc:
        assert isinstance(expected, ConfigError), text
        assert str(exc) == str(expected), text
        return
    assert got == expected, text


@given(st.lists(st.sampled_from(["##NAME:", " ", "\t", ":", "A", "b_2", "12", "x y", "é", "٣"]), max_size=8))
def test_markers_agree_with_the_regular_expression(parts: list[str]) -> None:
    line = "".join(parts).strip()
    m = _MARKER.match(line)
    assert _marker(line) == (m.group(1) if m else None), line
