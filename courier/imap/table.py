"""The command table: each command is a small function registered with its metadata.

State is checked here, centrally, before a handler runs.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from courier.frozen import dataclass

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from courier.imap.args import Args
    from courier.imap.session import Session


class State(Enum):
    NOT_AUTHENTICATED = "not authenticated"
    AUTHENTICATED = "authenticated"
    SELECTED = "selected"
    LOGOUT = "logout"


ANY = frozenset({State.NOT_AUTHENTICATED, State.AUTHENTICATED, State.SELECTED})
PRE = frozenset({State.NOT_AUTHENTICATED})
AUTH = frozenset({State.AUTHENTICATED, State.SELECTED})
SELECTED = frozenset({State.SELECTED})


@dataclass(frozen=True, slots=True)
class Result:
    text: str
    code: object | None = None
    status: str = "OK"


#: a handler gets the session, the tag, its arguments and whether it came as ``UID <cmd>``;
#: it returns the tagged result, or None when it has already answered (IDLE, AUTHENTICATE)
Handler = Callable[["Session", str, "Args", bool], "Result | None"]


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    handler: Handler
    states: frozenset[State]
    uid: bool = False  # also valid as UID <name>
    capability: str | None = None  # only while this capability is advertised
    expunge_ok: bool = True  # False: no EXPUNGE responses while it runs (RFC 3501 7.4.1)


COMMANDS: dict[str, Spec] = {}


def command(
    name: str,
    states: frozenset[State],
    uid: bool = False,
    capability: str | None = None,
    expunge_ok: bool = True,
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = Spec(name, fn, states, uid, capability, expunge_ok)
        return fn

    return register
