"""The result declared once: each result class is a dataclass, and its fields (their order, type
hints and ``metadata``) are the whole declaration of its dictionary form. From them come
``to_dict()`` and ``from_dict()`` (here), the fast JSON writer (:mod:`.json_writer`) and the
marshmallow schema the HTTP adapter validates with and shows in its OpenAPI document
(:mod:`.schema`). Adding a field to a result class is adding the dataclass field: nothing else.

The rules, read from each field:

* the dictionary's keys are the fields, in declaration order (so a class whose JSON order is not
  its constructor's order is ``kw_only``);
* a value is written as it is: a declared class by its own dictionary form, a list of them item
  by item; a ``dict`` or a list of plain values is the object itself (not copied);
* ``metadata`` (plain keys, so the catalogue's classes need no import to be declared):
  ``description`` (shown in the OpenAPI document), ``omit`` (``"none"``: the key is left out
  while the value is None; ``"empty"``: while it is falsy), ``enum`` (the allowed strings, for a
  string or the values of a mapping), ``shape`` (a ``dict`` field that holds the dictionary form
  of that class, e.g. a dose), ``absent`` (what a saved result that lacks the key is read as: a
  value, or a callable that makes one), ``nullable_values`` (False: a mapping of ``Any`` never
  holds null);
* a class attribute ``JSON_COMPUTED`` names properties written first, before the fields (derived
  from them, so never read back), and ``SCHEMA_NAME`` the schema's name when it is not the
  class's; a classmethod ``upgrade_saved(d)`` turns an older dictionary form into today's;
* reading back: a missing key is the field's default, or None for a nullable field, or its
  ``absent``; otherwise it is an error (KeyError naming the key), so a dictionary that is not a
  result is refused.

The functions are generated as source and compiled once per class, as :mod:`dataclasses` makes
``__init__``: a result is serialised for every response, and generated code runs as fast as the
hand-written functions it replaces.
"""
from __future__ import annotations

import dataclasses
import functools
import operator
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

from decision_core.catalogue.dose import Amount

SCALARS = (str, int, float, bool)


@dataclass(frozen=True)
class Kind:
    """What a field's type hint says, as the generators need it."""

    tag: str  # scalar | any | amount | declared | list | dict
    of: Any = None  # the Python type (scalar), the class (declared), the item's or value's Kind (list, dict)
    nullable: bool = False


@dataclass(frozen=True)
class Slot:
    """One key of a class's dictionary form."""

    name: str
    kind: Kind
    meta: Mapping[str, Any]
    computed: bool = False  # a property written before the fields, never read back
    kw_only: bool = False  # given to the constructor by name
    has_default: bool = False
    default: Any = None  # a value, or a factory when factory is True
    factory: bool = False

    @property
    def omit(self) -> str | None:
        return self.meta.get("omit")

    @property
    def always(self) -> bool:
        """Always written: the schema requires it."""
        return self.omit is None


def kind_of(hint: Any) -> Kind:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        nullable = len(rest) < len(args)
        inner = rest[0] if len(rest) == 1 else functools.reduce(operator.or_, rest)
        return dataclasses.replace(kind_of(inner), nullable=nullable) if inner != Amount else Kind("amount", None, nullable)
    if hint is Any:
        return Kind("any", nullable=True)  # any JSON value, null too
    if hint in SCALARS:
        return Kind("scalar", hint)
    if origin in (list, tuple):
        return Kind("list", kind_of(args[0]))
    if origin in (dict, Mapping):
        return Kind("dict", kind_of(args[1]))
    if dataclasses.is_dataclass(hint):
        return Kind("declared", hint)
    raise TypeError(f"no dictionary form for the type {hint!r}")


@functools.cache
def slots_of(cls) -> tuple[Slot, ...]:
    """The keys of ``cls``'s dictionary form, in order: its computed properties, then its fields."""
    hints = typing.get_type_hints(cls)
    out = []
    for name in getattr(cls, "JSON_COMPUTED", ()):
        prop = getattr(cls, name)
        doc = (prop.__doc__ or "").strip().split("\n\n")[0]
        meta = {"description": " ".join(doc.split())} if doc else {}
        out.append(Slot(name, kind_of(typing.get_type_hints(prop.fget)["return"]), meta, computed=True))
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default = dict(has_default=True, default=f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = dict(has_default=True, default=f.default_factory, factory=True)
        else:
            default = {}
        out.append(Slot(f.name, kind_of(hints[f.name]), f.metadata, kw_only=f.kw_only is True, **default))
    return tuple(out)


def declared_classes(root, shapes: bool = False) -> dict[type, tuple[Slot, ...]]:
    """``root`` and every declared class its dictionary form holds; with ``shapes``, also the classes
    whose dictionary form a ``dict`` field holds (a dose: written and read as the dict it is)."""
    found: dict[type, tuple[Slot, ...]] = {}

    def visit(cls):
        if cls in found:
            return
        found[cls] = slots_of(cls)
        for slot in found[cls]:
            kind = slot.kind
            while kind.tag in ("list", "dict"):
                kind = kind.of
            if kind.tag == "declared":
                visit(kind.of)
            if shapes and "shape" in slot.meta:
                visit(slot.meta["shape"])

    visit(root)
    return found


def fn_name(prefix: str, cls) -> str:
    return f"_{prefix}_{cls.__module__.replace('.', '_')}_{cls.__qualname__.replace('.', '_')}"


def compile_functions(lines: list[str], namespace: dict[str, Any]) -> dict[str, Any]:
    exec("\n".join(lines), namespace)  # noqa: S102 -- our own generated source, from dataclass fields
    return namespace


# ------------------------------------------------------------------ dictionary form


def write_function(cls, slots, prefix: str, value: Callable[[str, Kind], str]) -> list[str]:
    """The source of a function from an object of ``cls`` to its dictionary form: ``value`` gives
    the expression that writes one value. Keys keep their order: the always-written keys before
    the first left-out one go in one literal, the rest are added in order."""
    lines = [f"def {fn_name(prefix, cls)}(o):"]
    literal, rest = [], []
    for slot in slots:
        expr = value(f"o.{slot.name}", slot.kind)
        if slot.always and not rest:
            literal.append(f"{slot.name!r}: {expr}")
        elif slot.always:
            rest.append(f"    out[{slot.name!r}] = {expr}")
        else:
            rest.append(f"    if {_written('o', slot)}: out[{slot.name!r}] = {expr}")
    lines.append(f"    out = {{{', '.join(literal)}}}")
    return lines + rest + ["    return out"]


def _written(var: str, slot: Slot) -> str:
    return f"{var}.{slot.name} is not None" if slot.omit == "none" else f"{var}.{slot.name}"


def dict_expression(cls, var: str, value: Callable[[str, Kind], str]) -> str | None:
    """The dictionary form of ``var`` as one expression, where it is one (every value written as it
    is, at most the last key left out), to write a list of them without a call per item."""
    slots = slots_of(cls)
    exprs = [value(f"{var}.{s.name}", s.kind) for s in slots]
    left_out = [s for s in slots if not s.always]
    if any(e != f"{var}.{s.name}" for s, e in zip(slots, exprs)) or left_out not in ([], [slots[-1]]):
        return None
    pairs = [f"{s.name!r}: {e}" for s, e in zip(slots, exprs)]
    if not left_out:
        return f"{{{', '.join(pairs)}}}"
    return f"({{{', '.join(pairs)}}} if {_written(var, slots[-1])} else {{{', '.join(pairs[:-1])}}})"


def _dict_value(expr: str, kind: Kind) -> str:
    if kind.tag == "declared":
        call = f"{fn_name('dict', kind.of)}({expr})"
        return f"(None if {expr} is None else {call})" if kind.nullable else call
    if kind.tag == "list" and kind.of.tag == "declared":
        inline = dict_expression(kind.of.of, "x", _dict_value)
        return f"[{inline or fn_name('dict', kind.of.of) + '(x)'} for x in {expr}]"
    return expr


def _read_value(expr: str, kind: Kind) -> str:
    if kind.tag == "declared":
        call = f"{fn_name('read', kind.of)}({expr})"
        return f"(None if {expr} is None else {call})" if kind.nullable else call
    if kind.tag == "list":
        inner = _read_value("x", kind.of)
        item = kind.of.of if kind.of.tag == "declared" else None
        if item is not None and not hasattr(item, "upgrade_saved") and not _holds_declared(item):
            inner = construction(item, "x")  # made in place: no call per item
        return f"list({expr})" if inner == "x" else f"[{inner} for x in {expr}]"
    if kind.tag == "dict":
        return f"dict({expr})"
    return expr


def _holds_declared(cls) -> bool:
    return any(s.kind.tag == "declared" or s.kind.tag == "list" and s.kind.of.tag == "declared"
               for s in slots_of(cls))


def construction(cls, var: str) -> str:
    """The expression that makes an object of ``cls`` from the dictionary ``var`` (see the module):
    positional arguments in field order, keywords for keyword-only fields."""
    name = fn_name("read", cls)
    args = []
    for slot in slots_of(cls):
        if slot.computed:
            continue
        key = repr(slot.name)
        if slot.has_default or "absent" in slot.meta or slot.kind.nullable:
            # absent (or null): the default, the field's "absent", or None for a nullable field
            if slot.has_default:
                default, make = slot.default, slot.factory
            else:
                default = slot.meta.get("absent")
                make = callable(default)
            converted = _read_value("v", slot.kind)
            if default is None and converted == "v":
                arg = f"{var}.get({key})"
            else:
                fallback = f"{name}_{slot.name}()" if make else f"{name}_{slot.name}"
                arg = f"({fallback} if (v := {var}.get({key})) is None else {converted})"
        else:
            arg = _read_value(f"{var}[{key}]", slot.kind)
        args.append(f"{slot.name}={arg}" if slot.kw_only else arg)
    return f"{name}_cls({', '.join(args)})"


def _read_names(cls, namespace: dict[str, Any]) -> None:
    """The class and the defaults a reading of ``cls`` refers to, put in ``namespace``."""
    name = fn_name("read", cls)
    namespace[f"{name}_cls"] = cls
    for slot in slots_of(cls):
        namespace[f"{name}_{slot.name}"] = slot.default if slot.has_default else slot.meta.get("absent")


def read_function(cls, slots, namespace: dict[str, Any]) -> list[str]:
    """The source of a function from a dictionary form to an object of ``cls`` (see the module)."""
    name = fn_name("read", cls)
    _read_names(cls, namespace)
    lines = [f"def {name}(d):"]
    if hasattr(cls, "upgrade_saved"):
        lines.append(f"    d = {name}_cls.upgrade_saved(d)")
    return lines + [f"    return {construction(cls, 'd')}"]


@functools.cache
def _functions(root) -> dict[str, Any]:
    classes = declared_classes(root)
    namespace: dict[str, Any] = {}
    lines: list[str] = []
    for cls, slots in classes.items():
        lines += write_function(cls, slots, "dict", _dict_value)
        lines += read_function(cls, slots, namespace)
    return compile_functions(lines, namespace)


def dict_form(cls) -> Callable[[Any], dict[str, Any]]:
    """The function that writes an object of ``cls`` as its dictionary form."""
    return _functions(cls)[fn_name("dict", cls)]


def reader(cls) -> Callable[[Mapping[str, Any]], Any]:
    """The function that reads ``cls``'s dictionary form back (KeyError or TypeError: it is not one)."""
    return _functions(cls)[fn_name("read", cls)]


class _DictForm:
    """``to_dict`` on a declared class: compiled on first use, when every class it holds exists."""

    def __set_name__(self, owner, name):
        self.owner = owner

    def __get__(self, obj, owner=None):
        write = dict_form(self.owner)
        setattr(self.owner, "to_dict", write)  # from now on a plain function: no descriptor in the way
        return write if obj is None else types.MethodType(write, obj)


class _Reader:
    """``from_dict`` on a declared class: compiled on first use."""

    def __set_name__(self, owner, name):
        self.owner = owner

    def __get__(self, obj, owner=None):
        read = reader(self.owner)
        setattr(self.owner, "from_dict", staticmethod(read))
        return read


def declared(cls):
    """A class decorator: gives the dataclass ``cls`` the ``to_dict()`` and ``from_dict()`` its
    fields declare (generated on first use; see the module)."""
    for name, attr in (("to_dict", _DictForm()), ("from_dict", _Reader())):
        setattr(cls, name, attr)
        attr.__set_name__(cls, name)
    return cls
