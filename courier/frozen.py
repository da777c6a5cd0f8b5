"""A cheap stand-in for ``dataclasses`` on the per-connection path.

Importing ``dataclasses`` pulls in ``inspect``, ``ast``, ``dis`` and ``tokenize``,
and every class it builds compiles half a dozen generated methods: for imapd
that was more than the rest of its start-up.  This module offers the part of
the interface the package uses, with the same behaviour:

* ``@dataclass(frozen=..., slots=...)`` with annotated fields, defaults and
  ``field(default_factory=...)``; construction by position or keyword;
* comparison by fields, ``repr``, hashing of frozen records (mutable ones are
  unhashable, as with dataclasses), :class:`FrozenInstanceError` on assignment;
* :func:`replace` for a copy with some fields changed.

Only ``__init__`` is generated, and only when the class is first instantiated,
so record types a connection never uses cost next to nothing.  mypy sees the
decorator through ``dataclass_transform`` and checks constructors as usual.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform

    T = TypeVar("T")
else:

    def dataclass_transform(**_kwargs: object) -> object:
        return lambda fn: fn


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen record (as dataclasses.FrozenInstanceError)."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


class _Field:
    __slots__ = ("default_factory",)

    def __init__(self, default_factory: Callable[[], object]) -> None:
        self.default_factory = default_factory


def field(*, default_factory: Callable[[], T]) -> T:
    """A field whose default is made per instance (``field(default_factory=list)``)."""
    return _Field(default_factory)  # type: ignore[return-value]  # replaced by the decorator


@dataclass_transform(field_specifiers=(field,))
def dataclass(*, frozen: bool = False, slots: bool = False) -> Callable[[type[T]], type[T]]:
    def wrap(cls: type[T]) -> type[T]:
        return _build(cls, frozen, slots)

    return wrap


def replace(obj: T, **changes: Any) -> T:
    """A copy of the record ``obj`` with ``changes`` (as dataclasses.replace)."""
    values = {name: getattr(obj, name) for name in obj.__record_fields__}  # type: ignore[attr-defined]
    values.update(changes)
    return type(obj)(**values)


def warm() -> None:
    """Compile every record's ``__init__`` now.  A launcher that forks a child per connection
    calls this once, so that no child compiles them again."""
    for cls in _RECORDS:
        if cls.__dict__.get("__init__") is _first_init:
            cls.__init__ = _make_init(cls)  # type: ignore[misc]


# ---- building the class -------------------------------------------------------------------

_RECORDS: list[type] = []  # every record class built here, for warm()


def _build(cls: type[T], frozen: bool, slots: bool) -> type[T]:
    names: list[str] = []
    defaults: dict[str, object] = {}
    factories: dict[str, Callable[[], object]] = {}
    for base in reversed(cls.__mro__[1:]):  # fields of record base classes come first
        for name in base.__dict__.get("__record_fields__", ()):
            if name not in names:
                names.append(name)
        defaults.update(base.__dict__.get("__record_defaults__", {}))
        factories.update(base.__dict__.get("__record_factories__", {}))
    namespace = dict(cls.__dict__)
    # (not inspect.get_annotations: importing inspect is the cost this module avoids)
    for name, kind in namespace.get("__annotations__", {}).items():
        if str(kind).startswith(("ClassVar", "typing.ClassVar")):
            continue
        if name not in names:
            names.append(name)
        if name in namespace:
            value = namespace[name]
            if isinstance(value, _Field):
                factories[name] = value.default_factory
                del namespace[name]
            else:
                defaults[name] = value
                if slots:
                    del namespace[name]  # a slot and a class attribute cannot share a name
    seen_default = False
    for name in names:
        if name in defaults or name in factories:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
    namespace["__record_fields__"] = tuple(names)
    namespace["__record_defaults__"] = defaults
    namespace["__record_factories__"] = factories
    namespace["__record_frozen__"] = frozen
    namespace["__init__"] = _first_init
    namespace["__repr__"] = _repr
    namespace["__eq__"] = _eq
    namespace["__match_args__"] = tuple(names)
    if frozen:
        namespace["__setattr__"] = _frozen_setattr
        namespace["__delattr__"] = _frozen_delattr
        namespace["__hash__"] = _hash
    else:
        namespace["__hash__"] = None  # mutable and compared by value: unhashable, as dataclasses
    if slots:
        inherited = {s for base in cls.__mro__[1:] for s in base.__dict__.get("__slots__", ())}
        namespace["__slots__"] = tuple(n for n in names if n not in inherited)
        namespace.pop("__dict__", None)
        namespace.pop("__weakref__", None)
        meta: Any = type(cls)
        new: type[T] = meta(cls.__name__, cls.__bases__, namespace)
        new.__qualname__ = cls.__qualname__
        _RECORDS.append(new)
        return new
    for key, value in namespace.items():
        if key not in ("__dict__", "__weakref__") and cls.__dict__.get(key, MISSING) is not value:
            setattr(cls, key, value)
    _RECORDS.append(cls)
    return cls


def _first_init(self: Any, *args: Any, **kwargs: Any) -> None:
    """Stands in for ``__init__`` until the class is first used: compiles the real one."""
    cls = type(self)
    owner = next(c for c in cls.__mro__ if c.__dict__.get("__init__") is _first_init)
    owner.__init__ = _make_init(owner)  # type: ignore[misc]
    owner.__init__(self, *args, **kwargs)  # type: ignore[misc]


def _make_init(cls: type) -> Callable[..., None]:
    names: tuple[str, ...] = cls.__record_fields__  # type: ignore[attr-defined]
    defaults: dict[str, object] = cls.__record_defaults__  # type: ignore[attr-defined]
    factories: dict[str, Callable[[], object]] = cls.__record_factories__  # type: ignore[attr-defined]
    frozen: bool = cls.__record_frozen__  # type: ignore[attr-defined]
    # Parameters are the field names (keyword construction); the generated code's own
    # names start with "__", which no field name does.
    env: dict[str, object] = {"__missing": MISSING, "__setter": object.__setattr__}
    params: list[str] = []
    body: list[str] = []
    for i, name in enumerate(names):
        if name in defaults:
            env[f"__d{i}"] = defaults[name]
            params.append(f"{name}=__d{i}")
        elif name in factories:
            env[f"__f{i}"] = factories[name]
            params.append(f"{name}=__missing")
            body.append(f"    if {name} is __missing:\n        {name} = __f{i}()")
        else:
            params.append(name)
        slot = cls.__dict__.get(name)
        if frozen and type(slot).__name__ == "member_descriptor":
            # The slot's own setter: a third faster than object.__setattr__ (10k per SELECT).
            env[f"__s{i}"] = slot.__set__  # type: ignore[union-attr]
            body.append(f"    __s{i}(__self, {name})")
        elif frozen:
            body.append(f"    __setter(__self, {name!r}, {name})")
        else:
            body.append(f"    __self.{name} = {name}")
    src = f"def __init__(__self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(src, env)
    init: Any = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init  # type: ignore[no-any-return]


def _values(self: Any) -> tuple[object, ...]:
    return tuple([getattr(self, name) for name in self.__record_fields__])


def _repr(self: Any) -> str:
    inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_fields__)
    return f"{type(self).__qualname__}({inner})"


def _eq(self: Any, other: object) -> object:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _hash(self: Any) -> int:
    return hash(_values(self))


def _frozen_setattr(self: Any, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")
