"""A result's JSON, written fast: the same bytes as ``orjson.dumps(result.to_dict())``, in a third of
the time (issue 22 §3; tests/test_result_json.py compares the two on generated cases, both engines).

Like ``to_dict``, the writer is generated from the result classes' declaration (:mod:`.shape`), so a
new field is written here with nothing to add. Two things make it fast:

* a class whose dictionary form is its fields, in order, with nothing left out or computed, holding
  only such classes and plain values (questions, withheld items, policy lines, rulesets, the
  programme...), is handed to orjson as it is: it writes dataclasses natively, in C, in field order;
* a citation is written once per process: its JSON (``{"source":..,"quote":..}``, the quote left
  out when it has none) is kept as an ``orjson.Fragment`` keyed by its source and quote, and
  inserted as it is. A result cites the same few dozen catalogue passages over and over (30 KB of
  JSON, mostly verbatim quotes), so orjson copies bytes instead of escaping the same quotes again.

The other classes (evidence, reasons, recommendations, causes, avoid items, the triage) are written
by generated functions that build their dictionaries, as ``to_dict`` does.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import orjson

from decision_core.catalogue.citations import Citation
from decision_core.result.shape import Kind, compile_functions, declared_classes, dict_form, fn_name, write_function

_Fragment = orjson.Fragment
# id of a list's first citation -> [(the citations, their JSON)]
_CITATIONS: dict[int, list[tuple[list, orjson.Fragment]]] = {}
_HELD = 0
_CACHE_MAX = 8192  # entries kept per cache; the built-in catalogue needs a few hundred


def citations(cited) -> orjson.Fragment | list:
    """The JSON of a list of citations, as one fragment. Looked up by the identity of its first
    citation (the catalogue's own objects, shared by every result), then matched whole: a list
    compares equal item by item, identical objects without calling their ``__eq__``. An entry
    holds its citations, so no other object can take one of their ids while it lives."""
    if not cited:
        return []
    candidates = _CITATIONS.get(id(cited[0]))
    if candidates is not None:
        for held, fragment in candidates:
            if held == cited:
                return fragment
    return _remember(cited)


def _remember(cited) -> orjson.Fragment:
    global _HELD
    if _HELD >= _CACHE_MAX:  # e.g. results read back from JSON, with citations of their own: start again
        _CITATIONS.clear()
        _HELD = 0
    write = dict_form(Citation)
    fragment = _Fragment(orjson.dumps([write(c) for c in cited]))
    held = tuple(cited) if isinstance(cited, tuple) else list(cited)  # a copy, compared with the same type
    _CITATIONS.setdefault(id(cited[0]), []).append((held, fragment))
    _HELD += 1
    return fragment


def _passed_as_is(classes) -> set[type]:
    """The classes orjson writes right, and fast: no slots (orjson writes a slots dataclass five times
    slower than a plain one, from its ``__dict__``), every key always written, no computed one, and
    every value plain or itself passed as it is (found by elimination: classes hold one another)."""
    passed = {cls for cls, slots in classes.items() if cls is not Citation and "__slots__" not in vars(cls)
              and all(s.always and not s.computed for s in slots)}

    def plain(kind: Kind) -> bool:
        while kind.tag in ("list", "dict"):
            kind = kind.of
        return kind.tag != "declared" or kind.of in passed

    changed = True
    while changed:
        changed = False
        for cls in list(passed):
            if not all(plain(s.kind) for s in classes[cls]):
                passed.discard(cls)
                changed = True
    return passed


@functools.cache
def json_form(root) -> Callable[[Any], Any]:
    """The function that turns an object of ``root`` into what orjson writes as its dictionary form."""
    classes = declared_classes(root)
    passed = _passed_as_is(classes)

    def value(expr: str, kind: Kind) -> str:
        inner = kind.of.of if kind.tag == "list" and kind.of.tag == "declared" else None
        if inner is Citation:
            return f"citations({expr})"
        if inner is not None:
            return expr if inner in passed else f"[{fn_name('json', inner)}(x) for x in {expr}]"
        if kind.tag == "declared" and kind.of not in passed:
            call = f"{fn_name('json', kind.of)}({expr})"
            return f"(None if {expr} is None else {call})" if kind.nullable else call
        return expr

    lines: list[str] = []
    for cls, slots in classes.items():
        if cls not in passed and cls is not Citation:
            lines += write_function(cls, slots, "json", value)
    namespace = compile_functions(lines, {"citations": citations})
    return (lambda o: o) if root in passed else namespace[fn_name("json", root)]


def result_json(result) -> bytes:
    """``orjson.dumps(result.to_dict())``, byte for byte, without building every dictionary first."""
    return orjson.dumps(json_form(type(result))(result))
