"""A result's JSON, written fast: the same bytes as ``orjson.dumps(result.to_dict())``, in a third of
the time (issue 22 §3; tests/test_result_json.py compares the two on generated cases, both engines).

Two things make it fast:

* the classes whose dictionary form is their fields, in order, with nothing left out (questions,
  withheld items, policy lines, rulesets, the programme...) are handed to orjson as they are: it
  writes dataclasses natively, in C, in field order;
* a citation is written once per process: its JSON (``{"source":..,"quote":..}``, the quote left
  out when it has none) is kept as an ``orjson.Fragment`` keyed by its source and quote, and
  inserted as it is. A result cites the same few dozen catalogue passages over and over (30 KB of
  JSON, mostly verbatim quotes), so orjson copies bytes instead of escaping the same quotes again.

The classes that leave a field out or order their keys otherwise (evidence, reasons,
recommendations, causes, avoid items, the triage) are written by the small functions below, which
mirror their ``to_dict`` key for key. A new field in a ``to_dict`` must be added here too; the
test fails until it is.
"""
from __future__ import annotations

from typing import Any

import orjson

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
    fragment = _Fragment(orjson.dumps([{"source": c.source, "quote": c.quote} if c.quote else {"source": c.source}
                                       for c in cited]))
    held = tuple(cited) if isinstance(cited, tuple) else list(cited)  # a copy, compared with the same type
    _CITATIONS.setdefault(id(cited[0]), []).append((held, fragment))
    _HELD += 1
    return fragment


def evidence(e) -> dict[str, Any]:
    facts = e.facts
    fact = next(iter(facts), None)
    out = {"fact": fact, "value": facts[fact] if fact is not None else None, "facts": facts, "rule": e.rule,
           "because": e.because, "sources": e.sources, "citations": citations(e.citations)}
    if e.strength is not None:
        out["strength"] = e.strength
        out["weight"] = e.weight
    if e.level is not None:
        out["level"] = e.level
    return out


def reason(r) -> dict[str, Any]:
    out = {"rule": r.rule, "because": r.because, "sources": r.sources, "citations": citations(r.citations)}
    if r.facts:
        out["facts"] = r.facts
    if r.because_code:
        out["because_code"] = r.because_code
    return out


def guidance(g) -> dict[str, Any]:
    return {"text": g.text, "citations": citations(g.citations)}


def recommendation(r) -> dict[str, Any]:
    out = {"id": r.id, "name": r.name, "kind": r.kind, "tags": r.tags, "dose": r.dose,
           "instructions": r.instructions, "steps": r.steps, "for_causes": r.for_causes,
           "reasons": [reason(x) for x in r.reasons], "sources": r.sources,
           "citations": citations(r.citations), "leads": r.leads}
    if r.intensity is not None:
        out["intensity"] = r.intensity
    if r.for_triage is not None:
        out["for_triage"] = r.for_triage
    if r.progression is not None:
        out["progression"] = guidance(r.progression)
    if r.stop_if is not None:
        out["stop_if"] = guidance(r.stop_if)
    return out


def cause(c) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "rank": c.rank, "score": c.score, "confidence": c.confidence,
            "why": c.why, "fix": c.fix, "evidence": [evidence(e) for e in c.evidence], "sources": c.sources,
            "citations": citations(c.citations)}


def avoid(a) -> dict[str, Any]:
    return {"id": a.id, "name": a.name, "why": a.why, "reasons": [reason(x) for x in a.reasons],
            "sources": a.sources, "citations": citations(a.citations)}


def finding(f) -> dict[str, Any]:
    return {"id": f.id, "evidence": [evidence(e) for e in f.evidence]}


def result_json(result) -> bytes:
    """``orjson.dumps(result.to_dict())``, byte for byte, without building the dictionaries first.
    Questions, withheld items, policy lines, rulesets and the programme go to orjson as dataclasses."""
    t = result.triage
    out = {
        "triage": {"level": t.level, "name": t.name, "advice": t.advice, "confirmed": t.confirmed,
                   "reasons": [evidence(e) for e in t.reasons]},
        "causes": [cause(c) for c in result.causes],
        "recommendations": [recommendation(r) for r in result.recommendations],
        "withheld": result.withheld,
        "avoid": [avoid(a) for a in result.avoid],
        "next_questions": result.next_questions,
        "open_safety_questions": result.open_safety_questions,
        "open_red_flags": result.open_red_flags,
        "open_assessment_questions": result.open_assessment_questions,
        "policy": result.policy,
        "programme_on_hold": result.programme_on_hold,
        "programme": result.programme,
        "findings": [finding(f) for f in result.findings],
        "facts": result.facts,
        "rulesets": result.rulesets,
        "fired_rules": result.fired_rules,
        "engine": result.engine,
        "disclaimer": result.disclaimer,
    }
    if result.record_id:
        out["record_id"] = result.record_id
    return orjson.dumps(out)
