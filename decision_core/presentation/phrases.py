"""The sentences the core composes, as codes with parameters, and the one renderer that puts them into words.

The core never writes these sentences itself: it records what it means as a *phrase*, a small dict
with a ``code`` and the ids, levels and numbers the sentence is about, on the result
(``Question.why_codes``, ``Withheld.reason_code``, ``Reason.because_code``)::

    {"code": "raises_triage", "level": "emergency"}
    {"code": "confirms", "causes": ["anterior_pelvic_tilt", "tucked_pelvis"]}
    {"code": "withheld_by_policy", "policy": "acute_no_stretching"}
    {"code": "withheld_by_avoid", "avoid": "static_stretching"}
    {"code": "withheld_by_cause", "causes": ["acute_strain"]}
    {"code": "recommended_for", "cause": "underactive_glutes"}
    {"code": "screen_raises"}

:func:`render` makes the words, from each code's frame in the message catalogue and the names of what it
is about (:class:`PeopleNames`: cause names, level names, the policy's words, translated). The JSON's
English text fields (``why``, ``reason``, ``because``) are made by the same renderer with
:class:`CodeNames`, which keeps them as clients have read them since they were added (with ids:
they are a machine's field); a person always reads :class:`PeopleNames`.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

Phrase = Mapping[str, Any]


def N_(text: str) -> str:
    """Marks a Python string for extraction (``decision-core translations extract``); translated later."""
    return text


def _same(text: str) -> str:
    return text


RAISES_TRIAGE = "raises_triage"
CONFIRMS = "confirms"
WITHHELD_BY_POLICY = "withheld_by_policy"
WITHHELD_BY_AVOID = "withheld_by_avoid"
WITHHELD_BY_CAUSE = "withheld_by_cause"
RECOMMENDED_FOR = "recommended_for"
SCREEN_RAISES = "screen_raises"

# Each code's frame, in the message catalogue (decision_core domain). Its placeholders are filled with names.
FRAMES: dict[str, str] = {
    RAISES_TRIAGE: N_("could raise the triage to {level}"),
    CONFIRMS: N_("would help confirm or rule out {causes}"),
    WITHHELD_BY_POLICY: N_("withheld by the safety policy: {says}"),
    WITHHELD_BY_AVOID: N_("withheld: it would go against '{name}', which you should avoid"),
    WITHHELD_BY_CAUSE: N_("withheld because of {causes}: it would work against that cause"),
    RECOMMENDED_FOR: N_("recommended for {cause}"),
    SCREEN_RAISES: N_("any of these could raise the triage"),
}
SEPARATOR = "; "  # between the phrases of one list (a question's why)


# ------------------------------------------------------------------ the phrases the core records
def raises_triage(level: str) -> dict[str, Any]:
    return {"code": RAISES_TRIAGE, "level": level}


def confirms(causes: Iterable[str]) -> dict[str, Any]:
    return {"code": CONFIRMS, "causes": list(causes)}


def withheld_by_policy(line_id: str) -> dict[str, Any]:
    return {"code": WITHHELD_BY_POLICY, "policy": line_id}


def withheld_by_avoid(avoid_id: str) -> dict[str, Any]:
    return {"code": WITHHELD_BY_AVOID, "avoid": avoid_id}


def withheld_by_cause(causes: Iterable[str]) -> dict[str, Any]:
    return {"code": WITHHELD_BY_CAUSE, "causes": list(causes)}


def recommended_for(cause: str) -> dict[str, Any]:
    return {"code": RECOMMENDED_FOR, "cause": cause}


def screen_raises() -> dict[str, Any]:
    return {"code": SCREEN_RAISES}


# ------------------------------------------------------------------ names
class PeopleNames:
    """What a person reads for an id: the catalogue's names (a result's own, for a result the catalogue
    does not know), translated; never the id itself (an unknown one is said in words: 'Acute strain')."""

    def __init__(self, catalogue: Any = None, gettext: Callable[[str], str] = _same, result: Any = None):
        self.catalogue = catalogue
        self.gettext = gettext
        self.result = result

    def _found(self, section: str, key: str, attribute: str) -> str | None:
        item = getattr(self.catalogue, section, {}).get(key) if self.catalogue is not None else None
        text = getattr(item, attribute, None)
        return " ".join(text.split()) if text else None

    def cause(self, cause_id: str) -> str:
        name = self._found("causes", cause_id, "name")
        if name is None and self.result is not None:
            name = next((c.name for c in self.result.causes if c.id == cause_id), None)
        return self.gettext(name) if name else words_of(cause_id)

    def causes(self, ids: Iterable[str], code: str) -> str:
        return ", ".join(self.cause(c) for c in ids)

    def level(self, level_id: str) -> str:
        levels = getattr(self.catalogue, "levels", None) or ()
        name = next((lv.name for lv in levels if lv.id == level_id), None)
        if name is None and self.result is not None and self.result.triage.level == level_id:
            name = self.result.triage.name
        return self.gettext(name) if name else words_of(level_id)

    def policy(self, line_id: str) -> str:
        says = next((" ".join(p.says.split()) for p in getattr(self.catalogue, "policy", None) or ()
                     if p.id == line_id), None)
        if says is None and self.result is not None:
            says = next((" ".join(p.says.split()) for p in self.result.policy if p.id == line_id), None)
        return self.gettext(says) if says else words_of(line_id)

    def avoid(self, avoid_id: str) -> str:
        name = self._found("avoid", avoid_id, "name")
        if name is None and self.result is not None:
            name = next((a.name for a in self.result.avoid if a.id == avoid_id), None)
        return self.gettext(name) if name else words_of(avoid_id)


class CodeNames(PeopleNames):
    """The JSON's English text fields, as they have always read: levels and causes by id (a machine's
    field), a clashing cause by its name and id; the policy's and avoid items' words as they are."""

    def causes(self, ids: Iterable[str], code: str) -> str:
        ids = list(ids)
        if code == WITHHELD_BY_CAUSE:
            causes = getattr(self.catalogue, "causes", {})
            named = [causes[c].name if c in causes else PeopleNames.cause(self, c) for c in ids]
            return f"{', '.join(named)} ({', '.join(ids)})"
        return ", ".join(ids)

    def cause(self, cause_id: str) -> str:
        return cause_id

    def level(self, level_id: str) -> str:
        return level_id

    def policy(self, line_id: str) -> str:
        says = next((p.says.strip() for p in getattr(self.catalogue, "policy", None) or () if p.id == line_id), None)
        return says if says is not None else PeopleNames.policy(self, line_id)

    def avoid(self, avoid_id: str) -> str:
        item = getattr(self.catalogue, "avoid", {}).get(avoid_id) if self.catalogue is not None else None
        return item.name if item is not None else PeopleNames.avoid(self, avoid_id)


def words_of(identifier: str) -> str:
    """An id no catalogue names, said in words ('acute_strain' -> 'Acute strain'): never the id itself."""
    return identifier.replace("_", " ").replace(".", " ").strip().capitalize()


# ------------------------------------------------------------------ the renderer
def render(phrase: Phrase | None, names: PeopleNames | None = None, gettext: Callable[[str], str] | None = None) -> str:
    """One phrase in words: its code's frame (translated by ``gettext``, default the names') filled with
    the names of what it is about. '' for None; a code this version does not know: ''."""
    if not phrase:
        return ""
    names = names if names is not None else PeopleNames()
    gettext = gettext or names.gettext
    code = phrase.get("code")
    frame = FRAMES.get(code)
    if frame is None:
        return ""
    if code == RAISES_TRIAGE:
        values = {"level": names.level(phrase["level"])}
    elif code in (CONFIRMS, WITHHELD_BY_CAUSE):
        values = {"causes": names.causes(phrase.get("causes") or (), code)}
    elif code == RECOMMENDED_FOR:
        values = {"cause": names.cause(phrase["cause"])}
    elif code == WITHHELD_BY_POLICY:
        values = {"says": names.policy(phrase["policy"])}
    elif code == WITHHELD_BY_AVOID:
        values = {"name": names.avoid(phrase["avoid"])}
    else:
        values = {}
    return gettext(frame).format(**values)


def render_all(phrases: Iterable[Phrase] | None, names: PeopleNames | None = None,
               gettext: Callable[[str], str] | None = None) -> str:
    """A list of phrases in words, one after the other ('could raise the triage to …; would help …')."""
    return SEPARATOR.join(text for text in (render(p, names, gettext) for p in phrases or ()) if text)


def english_text(phrase: Phrase | None, catalogue: Any = None) -> str:
    """The JSON's English text field of a phrase (:class:`CodeNames`)."""
    return render(phrase, CodeNames(catalogue))


def english_texts(phrases: Iterable[Phrase] | None, catalogue: Any = None) -> str:
    return render_all(phrases, CodeNames(catalogue))


PYTHON_FRAMES = tuple(FRAMES.values())
