"""How reports show triage levels: what the triage ruleset declares under each
level's ``presentation`` (mark, colours, acute or not, FHIR codes).

Nothing here names a level. A level the catalogue does not know (a stored result
from another catalogue) is shown as the most severe one: over-triage rather than
under-triage. With no catalogue at all (it failed to load), every level is shown
as acute and critical.
"""
from __future__ import annotations

import logging
from typing import Iterable

from decision_core.catalogue.model import Level, Presentation

log = logging.getLogger(__name__)

# Only when no catalogue is loaded: the safe side of every choice.
UNKNOWN = Presentation(acute=True, card_indicator="critical", priority="urgent", suggest_referral=True,
                       fhir_severity="high", mark="!", colours=())
_CSS_PROPERTIES = {"background": "background", "border": "border-color", "text": "color"}


class ShownLevels:
    """The catalogue's triage levels, by id, as adapters show them."""

    def __init__(self, levels: Iterable[Level]):
        self.levels = {lv.id: lv for lv in levels}
        self._top = max(self.levels.values(), key=lambda lv: lv.rank, default=None)

    def level(self, level_id: str) -> Level | None:
        """The level itself; an unknown id: the most severe (None: no catalogue)."""
        found = self.levels.get(level_id)
        if found is None:
            log.warning("triage level %r is not in the catalogue: shown as the most severe", level_id)
            return self._top
        return found

    def presentation(self, level_id: str) -> Presentation:
        found = self.level(level_id)
        return found.presentation if found is not None else UNKNOWN

    def rank(self, level_id: str) -> int:
        found = self.level(level_id)
        return found.rank if found is not None else 0

    def name(self, level_id: str) -> str:
        found = self.levels.get(level_id)
        return found.name if found is not None else level_id.replace("_", " ").capitalize()

    def mark(self, level_id: str, unconfirmed: bool) -> str:
        """The banner's sign; while red-flag questions are open, the level's unconfirmed sign if it has one
        (the least severe level: never a tick, since unknown is not 'no')."""
        shown = self.presentation(level_id)
        return shown.mark_while_unconfirmed if unconfirmed and shown.mark_while_unconfirmed else shown.mark

    def css(self) -> str:
        """The banner's colours, one rule set per level, from the ruleset's ``colours``."""
        rules = []
        for lv in sorted(self.levels.values(), key=lambda lv: lv.rank, reverse=True):
            colours = dict(lv.presentation.colours)
            box = "; ".join(f"{_CSS_PROPERTIES[part]}: {colours[part]}" for part in _CSS_PROPERTIES if part in colours)
            if box:
                rules.append(f".triage-{lv.id} {{ {box}; }}")
            if "label" in colours:
                rules.append(f".triage-{lv.id} .triage-label {{ color: {colours['label']}; }}")
        return "\n".join(rules)
