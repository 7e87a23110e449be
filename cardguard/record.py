"""Plain data classes: the one mechanism cardguard uses for them, instead of ``dataclasses``.

``import dataclasses`` imports ``inspect`` and with it ``ast``, ``dis`` and ``tokenize``, and
each ``@dataclass`` compiles its methods from source when the class is created: 80-96 M
instructions for the import and ~5 M per class, against ~0.3 M per Record class; a cold
``validate`` runs ~30% fewer instructions with Records, and ``cardguard facts`` stays inside its
budget (docs/architecture-data.md has the measurements). Record classes are written like
dataclasses::

    class Shard(Record, frozen=True):
        name: str
        size: int = 0
        tensors: list[str] = factory(list)  # a fresh list for each instance
        _lines: list[str] = factory(list)  # a leading underscore: left out of the repr

and give what cardguard uses of one: construction by position or keyword with defaults,
``==``, ``repr``, ``hash`` when frozen, ``fields()`` in declaration order (inherited fields
first), ``replace()`` (``dataclasses.replace``) and ``__post_init__``.
"""

from __future__ import annotations

from operator import attrgetter

TYPE_CHECKING = False  # typing is imported for type checkers only: it costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Callable

_NO_DEFAULT = object()
_MADE = object()  # in a class's _template: this field's default comes from a factory


class factory:
    """A default made fresh for each instance (``default_factory``); ``compare=False`` leaves
    the field out of ``==`` and ``hash``."""

    __slots__ = ("make", "compare")

    def __init__(self, make: object, compare: bool = True) -> None:
        self.make = make
        self.compare = compare


class Record:
    """Base of the plain data classes; subclasses declare fields as annotations."""

    _fields: tuple[str, ...] = ()
    _defaults: dict[str, object] = {}
    _compared: tuple[str, ...] = ()
    _plan: tuple[tuple[str, object, object], ...] = ()  # see _field_plan
    _template: dict[str, object] = {}  # every field in order: its default, or a marker
    _factories: tuple[tuple[str, object], ...] = ()  # (field, what makes its default)
    # By how many fields are given by position: the fields a keyword may still set, and those
    # without a default a keyword must set (they come first: see _check_default_order).
    _settable_after: tuple[frozenset[str], ...] = (frozenset(),)
    _required_after: tuple[frozenset[str], ...] = (frozenset(),)
    _frozen = False
    _post_init: Callable[[Record], None] | None = None

    def __init_subclass__(cls, frozen: bool = False, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        own = list(cls.__dict__.get("__annotations__", {}))
        defaults = dict(cls._defaults)
        compared = [name for name in cls._compared if name not in own]
        for name in own:
            default = cls.__dict__.get(name, _NO_DEFAULT)
            if default is not _NO_DEFAULT:
                defaults[name] = default
                if isinstance(default, factory):
                    delattr(cls, name)
            if not (isinstance(default, factory) and not default.compare):
                compared.append(name)
        cls._fields = tuple(dict.fromkeys((*cls._fields, *own)))
        cls._defaults = defaults
        cls._compared = tuple(compared)
        cls._frozen = frozen or cls._frozen
        _check_default_order(cls)
        cls._plan = tuple(_field_plan(name, defaults.get(name, _NO_DEFAULT)) for name in cls._fields)
        cls._template = {name: _MADE if make is not None else default for name, default, make in cls._plan}
        cls._factories = tuple((name, make) for name, _, make in cls._plan if make is not None)
        required = tuple(name for name in cls._fields if name not in defaults)
        cls._settable_after = tuple(frozenset(cls._fields[given:]) for given in range(len(cls._fields) + 1))
        cls._required_after = tuple(frozenset(required[given:]) for given in range(len(cls._fields) + 1))
        cls._post_init = getattr(cls, "__post_init__", None)  # looked up once, not per instance
        # The compared fields as one tuple, fetched in C: == and hash run often on findings.
        cls._compared_values = staticmethod(_tuple_getter(cls._compared))
        if cls._frozen:
            cls.__hash__ = Record._frozen_hash  # type: ignore[method-assign]
            # Only frozen records pay for a Python-level __setattr__; others keep object's.
            cls.__setattr__ = Record._refuse_assignment  # type: ignore[method-assign]

    def __init__(self, *args: object, **kwargs: object) -> None:
        # Fields live in the instance's __dict__, written directly: no refusing __setattr__ in
        # the way of a frozen record's construction, and one C-level update when every field
        # is given by position (a card's lines are records, made by the ten thousand in a batch).
        fields = self._fields
        if len(args) == len(fields) and not kwargs:
            self.__dict__.update(zip(fields, args))
        else:
            self._set_fields(args, kwargs)
        if self._post_init is not None:
            self._post_init()

    def _set_fields(self, args: tuple[object, ...], kwargs: dict[str, object]) -> None:
        """Fields from positional and keyword arguments and defaults, as dataclasses' __init__.

        Three dict updates in C (defaults, positions, keywords) once two set comparisons have
        shown the arguments fit; a misfit goes to :meth:`_argument_error` for its message."""
        fields = self._fields
        given = len(args)
        # The arguments fit when every keyword names a field not given by position, and every
        # field without a default is given one way or the other.
        if given > len(fields) or not (
                kwargs.keys() <= self._settable_after[given] and kwargs.keys() >= self._required_after[given]):
            raise self._argument_error(args, kwargs)
        values = self.__dict__
        values.update(self._template)
        if args:
            values.update(zip(fields, args))
        values.update(kwargs)
        for name, make in self._factories:
            if values[name] is _MADE:
                values[name] = make()

    def _argument_error(self, args: tuple[object, ...], kwargs: dict[str, object]) -> TypeError:
        """The TypeError dataclasses' __init__ would raise for these arguments."""
        name = type(self).__name__
        plan = self._plan
        if len(args) > len(plan):
            return TypeError(f"{name}() takes {len(plan)} arguments, {len(args)} given")
        for field, default, make in plan[len(args):]:
            if field not in kwargs and make is None and default is _NO_DEFAULT:
                return TypeError(f"{name}() is missing the argument {field!r}")
        unknown = next(key for key in kwargs if key not in self._settable_after[len(args)])
        problem = "a repeated" if unknown in self._fields else "an unexpected"
        return TypeError(f"{name}() got {problem} argument {unknown!r}")

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        return cls._fields

    def replace(self, **changes: object) -> Record:
        """A copy with some fields changed (``dataclasses.replace``)."""
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        return type(self)(**values)

    def _refuse_assignment(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared_values(self) == other._compared_values(other)

    __hash__ = None  # type: ignore[assignment]  # mutable records are unhashable, as dataclasses

    def _frozen_hash(self) -> int:
        return hash(self._compared_values(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields if not name.startswith("_"))
        return f"{type(self).__name__}({shown})"


def _field_plan(name: str, default: object) -> tuple[str, object, object]:
    """What __init__ needs to know of a field: its name, its default (or _NO_DEFAULT), and the
    factory that makes its default (or None)."""
    if isinstance(default, factory):
        return name, _NO_DEFAULT, default.make
    return name, default, None


def _tuple_getter(names: tuple[str, ...]) -> Callable[[object], tuple]:
    """A function giving these attributes of an object as a tuple (attrgetter gives a bare
    value for one name and refuses none)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        single = attrgetter(names[0])
        return lambda record: (single(record),)
    return lambda record: ()


def _check_default_order(cls: type[Record]) -> None:
    """As with dataclasses, a field without a default cannot follow one with a default."""
    seen_default = False
    for name in cls._fields:
        if name in cls._defaults:
            seen_default = True
        elif seen_default:
            raise TypeError(f"{cls.__name__}: field {name!r} without a default follows one with a default")
