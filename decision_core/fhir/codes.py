"""What the FHIR export is written with: its code systems and extension URLs,
a triage level in FHIR terms, and a few helpers to build resources.

Triage levels are data: each level of the triage ruleset declares its FHIR
severity, priority and whether it needs an emergency department (its
``presentation``). This module names no level; a level the catalogue does not
know is treated as the most severe (over-triage rather than under-triage).
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from decision_core.intake import FACT_CODE_SYSTEM

from decision_core.catalogue.levels import ShownLevels

log = logging.getLogger(__name__)

URN = "urn:decision-core"
RULESET_SYSTEM = f"{URN}:ruleset"
TRIAGE_SYSTEM = f"{URN}:triage-level"
CAUSE_SYSTEM = f"{URN}:cause"
RULE_SYSTEM = f"{URN}:rule"
RECOMMENDATION_SYSTEM = f"{URN}:recommendation"
KIND_SYSTEM = f"{URN}:recommendation-kind"
FOR_CAUSE_EXTENSION = f"{URN}:fhir:for-cause"
# Typed figures of an exercise dose that R4 has no element for (see fhir.dose).
EXERCISE_DOSE_EXTENSION = f"{URN}:fhir:exercise-dose"
# An exercise's picture (its start and end position, SVG) on its CarePlan activity (see fhir.programme).
EXERCISE_FIGURE_EXTENSION = f"{URN}:fhir:exercise-figure"
FACT_SYSTEM = FACT_CODE_SYSTEM  # one code system for facts, the one the CDS Hooks intake reads

UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
EMERGENCY_ROOM = {"system": ROLE_CODE, "code": "ER", "display": "Emergency room"}


@dataclass(frozen=True)
class LevelFhir:
    """A triage level in FHIR terms.

    * ``severity``: DetectedIssue.severity. FHIR: *high* "may be life-threatening or has the
      potential to cause permanent injury"; *moderate* "noticeable adverse consequences but unlikely
      to be life-threatening or cause permanent injury"; *low* "some adverse consequences but
      unlikely to substantially affect the situation of the subject".
    * ``priority``: ServiceRequest/RequestGroup.priority (routine | urgent | asap | stat).
    * ``emergency_department``: whether a result at this level carries an emergency-department request.
    """

    severity: str | None  # None: not a red flag (no DetectedIssue)
    priority: str
    emergency_department: bool = False


NOT_A_RED_FLAG = LevelFhir(None, "routine")
FHIR_ID_LENGTH = 64


def level_fhir(levels: ShownLevels, level: str | None) -> LevelFhir:
    """A level in FHIR terms, as the triage ruleset presents it (None: no level, not a red flag)."""
    if level is None:
        return NOT_A_RED_FLAG
    shown = levels.presentation(level)
    return LevelFhir(shown.fhir_severity, shown.priority, shown.emergency_department)


def prune(value: Any) -> Any:
    """FHIR forbids empty strings, arrays and objects: drop them (and None) everywhere."""
    if isinstance(value, dict):
        out = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        out = [prune(v) for v in value]
        return [v for v in out if v not in (None, "", [], {})]
    return value


class Entries:
    """The bundle's resources in order, each with a urn:uuid full URL."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []

    def add(self, resource: dict[str, Any], rid: str | None = None) -> dict[str, str]:
        rid = rid or str(uuid.uuid4())
        self.items.append((rid, resource))
        return ref(rid)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [r for _, r in self.items if r["resourceType"] == kind]

    def bundle_entries(self) -> list[dict[str, Any]]:
        return [{"fullUrl": f"urn:uuid:{rid}", "resource": dict(res, id=rid)} for rid, res in self.items]


def ref(entry_id: str, display: str | None = None) -> dict[str, str]:
    out = {"reference": f"urn:uuid:{entry_id}"}
    if display:
        out["display"] = display
    return out


def quantity(value: float | int, unit: str, code: str | None = None) -> dict[str, Any]:
    """A UCUM Quantity (``code`` defaults to the unit: 's', 'wk'; annotations such as '{sets}' given)."""
    return {"value": value, "unit": unit, "system": UCUM, "code": code or unit}


def amount(value: Any, unit: str, code: str) -> tuple[str, dict[str, Any]]:
    """A figure as ('Quantity', q) or a (low, high) range as ('Range', r), in one UCUM unit."""
    if isinstance(value, tuple):
        return "Range", {"low": quantity(value[0], unit, code), "high": quantity(value[1], unit, code)}
    return "Quantity", quantity(value, unit, code)


__all__ = ["LevelFhir", "level_fhir", "Entries", "prune", "ref", "quantity", "amount"]
