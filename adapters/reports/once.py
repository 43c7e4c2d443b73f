"""Say each thing once in the patient part (issue 19 §4), from the result's structure, never by
matching its English words.

- Triage reasons that reach the same level share a conclusion: the first says it in full, and the
  findings the others add are named after it ("Bruising on the back of the thigh and pain when
  walking point the same way."), in words the fact catalogue declares (labels, value labels),
  translated. A reason that adds no finding is left out.
- A cause's evidence that only repeats what the triage reasons already said (the same facts, the
  same answers) is left out of the patient part; the practitioner part keeps it all.
- A stop rule, a progression or a step that several exercises share is said once, naming the
  exercises it is for, instead of once per exercise.
- The "call us / seek care if" lines are grouped by whom to call, so each call is said once.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

Gettext = Callable[[str], str]
_MISSING = object()


@dataclass
class Shared:
    """A text several exercises share, said once: for whom (their names) and what it says."""

    kind: str  # stop_if | progression | step
    label: str  # the heading word in the reader's language ("When to stop:")
    names: list[str]
    text: str


@dataclass
class CallGroup:
    """The seek-care lines that end in the same call: 'Call your local emergency number now if: ...'."""

    call: str
    emergency: bool
    says: list[str] = field(default_factory=list)


def lower_first(text: str, gettext: Gettext | None = None) -> str:
    """'Pain when walking' -> 'pain when walking' for the middle of a list; 'DVT ...' stays, and so does
    every label in a language whose catalogue says its words keep their capital (German nouns)."""
    translator = getattr(gettext, "__self__", None)  # the bound Translator of the reader's language
    # Translators: "no" where a label keeps its capital letter inside a sentence ("Schmerzen beim Gehen");
    # "yes" where it starts with a small letter there ("pain when walking").
    if translator is not None and translator.pgettext("grammar", "lower-case a label inside a sentence") == "no":
        return text
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def word_list(items: list[str], lang: str) -> str:
    """'a, b and c' in the reader's language (Babel's list patterns)."""
    from babel.lists import format_list

    from decision_core.i18n.translations import babel_locale

    return format_list(items, locale=babel_locale(lang)) if items else ""


def fact_phrase(fact, value: Any, gettext: Gettext, lang: str) -> str | None:
    """A fact's answer as a short phrase from the catalogue's own words; None for a fact the catalogue
    does not know (an id never reaches a person)."""
    if fact is None:
        return None
    label = gettext(fact.label)
    if isinstance(value, bool):
        return label if value else gettext("{label}: no").format(label=label)
    if isinstance(value, (list, tuple)):
        return word_list([lower_first(gettext(fact.value_label(str(v))), gettext) for v in value], lang) or None
    if isinstance(value, str):
        return gettext(fact.value_label(value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return gettext("{label}: {value}").format(label=label, value=value)


def merged_reasons(reasons: Iterable, facts: Mapping[str, Any], gettext: Gettext,
                   ngettext: Callable[[str, str, int], str], lang: str) -> list[str]:
    """One line per conclusion (a triage level): the first reason's words, then the findings the others
    add. ``reasons``: the result's triage reasons (typed, translated); ``facts``: the catalogue's facts."""
    groups: dict[str, list] = {}
    for r in reasons:
        groups.setdefault(r.level or "", []).append(r)
    lines = []
    for group in groups.values():
        first = group[0]
        said = dict(first.facts)
        added: list[tuple[str, Any]] = []
        for r in group[1:]:
            for name, value in r.facts.items():
                if said.get(name, _MISSING) != value:
                    said[name] = value
                    added.append((name, value))
        phrases = [p for p in (fact_phrase(facts.get(n), v, gettext, lang) for n, v in added) if p]
        line = first.because.strip()
        if phrases:
            joined = upper_first(word_list([phrases[0]] + [lower_first(p, gettext) for p in phrases[1:]], lang))
            line += " " + ngettext("%(findings)s points the same way.", "%(findings)s point the same way.",
                                   len(phrases)) % {"findings": joined}
        lines.append(line)
    return lines


def new_evidence(evidence: list, said_facts: Mapping[str, Any], said_texts: set[str]) -> list:
    """The evidence that says something not yet said: drops an item whose facts the triage reasons
    already named with the same answers, or whose words were already given."""
    out = []
    for e in evidence:
        facts = e.raw_facts
        if e.because in said_texts or (facts and all(said_facts.get(k, _MISSING) == v for k, v in facts.items())):
            continue
        said_texts.add(e.because)
        out.append(e)
    return out


def lift_shared(items: list, gettext: Gettext, lang: str) -> tuple[list, list[Shared]]:
    """The exercises with every stop rule, progression and step that two or more of them share taken
    out, and those shared texts, each once with the names of the exercises it is for."""
    labels = {"stop_if": gettext("When to stop:"), "progression": gettext("When to make it harder:"), "step": ""}
    texts: dict[tuple[str, str], list[str]] = {}
    for item in items:
        for kind in ("stop_if", "progression"):
            text = getattr(item, kind)
            if text:
                texts.setdefault((kind, text), []).append(item.name)
        # a first or last step only: taking one from the middle would break the order of the others
        for step in dict.fromkeys(item.steps[:1] + item.steps[-1:]):
            texts.setdefault(("step", step), []).append(item.name)
    shared = {key: names for key, names in texts.items() if len(names) > 1}
    if not shared:
        return items, []
    out = []
    for item in items:
        out.append(replace(item,
                           stop_if=None if ("stop_if", item.stop_if) in shared else item.stop_if,
                           progression=None if ("progression", item.progression) in shared else item.progression,
                           steps=[s for s in item.steps if ("step", s) not in shared]))
    notes = [Shared(kind, labels[kind], names, text) for (kind, text), names in shared.items()]
    return out, notes


def shared_names(note: Shared, lang: str) -> str:
    return word_list(note.names, lang)


def call_groups(lines: Iterable) -> list[CallGroup]:
    """The seek-care lines grouped by their call, in the order each call first appears."""
    groups: dict[str, CallGroup] = {}
    for line in lines:
        group = groups.setdefault(line.call, CallGroup(line.call, line.emergency))
        if line.says not in group.says:
            group.says.append(line.says)
    return list(groups.values())


def say_once(view, reasons, facts: Mapping[str, Any], tr):
    """The view with its patient part said once: merged reasons, evidence not said before, shared
    exercise texts lifted out, seek-care lines grouped by call. The practitioner part is unchanged."""
    lang = view.lang
    view.patient_reasons = merged_reasons(reasons, facts, tr.gettext, tr.ngettext, lang)
    said_facts: dict[str, Any] = {}
    for r in reasons:
        said_facts.update(r.facts)
    said_texts = {r.because.strip() for r in reasons}
    for cause in view.causes:
        cause.patient_evidence = new_evidence(cause.supporting, said_facts, said_texts)
    view.patient_exercises, view.shared = lift_shared(view.exercises, tr.gettext, lang)
    lifted = {i.id: i for i in view.patient_exercises}
    from .programme_view import PhaseView

    phases = view.programme.phases if view.programme is not None else [PhaseView("", "", view.exercises)]
    view.patient_phases = [PhaseView(p.id, p.name, [lifted[i.id] for i in p.items]) for p in phases]
    view.calls = call_groups(view.safety_net)
    return view
