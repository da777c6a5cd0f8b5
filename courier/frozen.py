"""Frozen settings records that cost nothing to import.

``@dataclass(frozen=True)`` would do, but importing ``dataclasses`` pulls in
``inspect``, ``ast``, ``dis`` and ``tokenize``, and each class it builds
compiles generated code: together more than the rest of imapd's start-up.
Settings are read before the greeting of every connection, so they use this
instead.  Declare fields as for a dataclass (annotation and default); the
constructor takes keywords only; instances compare, hash and print by their
fields and refuse assignment.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from typing import Any, ClassVar, Self, dataclass_transform
else:

    def dataclass_transform(**_kwargs: object) -> object:
        return lambda cls: cls


class FrozenError(AttributeError):
    """Assignment to a field of a frozen record (like dataclasses.FrozenInstanceError)."""


@dataclass_transform(kw_only_default=True, frozen_default=True, eq_default=True)
class Frozen:
    """Base class: subclasses list their fields as annotated class attributes with defaults."""

    __frozen_fields__: ClassVar[tuple[str, ...]] = ()
    __frozen_defaults__: ClassVar[dict[str, object]] = {}

    def __init_subclass__(cls) -> None:
        fields: list[str] = []
        defaults: dict[str, object] = {}
        for klass in reversed(cls.__mro__):
            # (not inspect.get_annotations: importing inspect is the cost this module avoids)
            for name, kind in klass.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
                if name.startswith("__") or str(kind).startswith("ClassVar"):
                    continue
                if name not in fields:
                    fields.append(name)
                if name in klass.__dict__:
                    defaults[name] = klass.__dict__[name]
        cls.__frozen_fields__ = tuple(fields)
        cls.__frozen_defaults__ = defaults

    def __init__(self, **kwargs: Any) -> None:
        defaults = self.__frozen_defaults__
        for name in self.__frozen_fields__:
            if name in kwargs:
                value = kwargs.pop(name)
            elif name in defaults:
                value = defaults[name]
            else:
                raise TypeError(f"{type(self).__name__}() missing keyword argument {name!r}")
            object.__setattr__(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument {next(iter(kwargs))!r}")

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__frozen_fields__)

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (dataclasses.replace)."""
        values = {name: getattr(self, name) for name in self.__frozen_fields__}
        values.update(changes)
        return type(self)(**values)

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Frozen)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__frozen_fields__)
        return f"{type(self).__name__}({inner})"
