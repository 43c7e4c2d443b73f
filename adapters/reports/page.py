"""The result in words for the practitioner's page: the same view the handout is made from (``view``), as
JSON, so that the page formats nothing itself (no dose, level, cause or percentage is worded in JavaScript).

Added to an evaluation's response as ``view`` when the page asks for it (``?view=<language>``); the result's
own fields are unchanged.
"""
from __future__ import annotations

from typing import Any

from decision_core.i18n.translations import get_translator
from decision_core.i18n.wording import everyday_heading, percent, programme_heading, programme_length

from .view import build_view
from .view_types import ItemView, ReportView


def _item(item: ItemView) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "kind": item.kind_label, "dose": item.dose_text,
            "starting_dose": bool(item.starting_dose), "stop_if": item.stop_if or ""}


def page_view(result: Any, lang: str | None = None, core: Any = None) -> dict[str, Any]:
    """What the page shows of ``result``, in words in ``lang`` (UnknownLanguage for one not installed)."""
    v: ReportView = build_view(result, lang=lang, core=core)
    gettext = get_translator(v.lang, core).gettext
    out: dict[str, Any] = {
        "lang": v.lang,
        "triage": {"name": v.level_name, "advice": v.advice, "reasons": [r.because for r in v.reasons]},
        "on_hold": v.acute,  # the safety policy's decision, as the result says it
        "causes": [{"id": c.id, "name": c.name, "likelihood": c.likelihood, "percent": percent(c.confidence),
                    "why": c.why, "evidence": [e.because for e in c.evidence]} for c in v.causes],
        "next_questions": [{"fact": q.fact, "question": q.question, "why": q.why, "kind": q.kind}
                           for q in v.next_questions],
        "recommendations": [_item(i) for i in v.do_now + v.exercises + v.other_advice],
        "withheld": [{"id": w.id, "name": w.name, "reason": w.reason} for w in v.withheld],
        "avoid": [{"id": a.id, "name": a.name, "why": a.why} for a in v.avoid],
        "starting_note": v.starting_note,
        "programme_heading": programme_heading(v.acute, gettext),
        "everyday_heading": everyday_heading(v.acute, gettext),
        "programme": None,
    }
    p = v.programme
    if p is not None:
        out["programme"] = {
            "first": [_item(i) for i in v.do_now],
            "phases": [{"id": ph.id, "name": ph.name, "items": [_item(i) for i in ph.items]} for ph in p.phases],
            "lifestyle": [_item(i) for i in p.lifestyle],
            "length": programme_length(p.weeks, p.review_in_weeks or p.weeks, gettext) if p.weeks else "",
            "alternatives": [{"id": a.id, "name": a.name, "kind": a.kind_label, "why": a.why, "dose": a.dose_text}
                             for a in p.alternatives],
        }
    return out
