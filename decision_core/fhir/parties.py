"""Who a FHIR record is about and by, and the patient's answers.

**The subject** is required: the ``patient_reference`` option ('Patient/123', an
EHR's own patient) when given, with the patient's name as its display; otherwise
a Patient resource in the bundle (name, birth date and identifier from the
``patient`` option when given, else an anonymous Patient with only a generated
id), referenced by every patient-specific resource. The ``clinician`` becomes a
Practitioner (the RequestGroup's author, the ServiceRequests' requester) and the
``clinic`` an Organization (the generated Patient's managing organization).

**The answers** (``result.facts``) are Observations coded with the fact code
system the CDS Hooks intake reads (``code`` = the fact name), status ``final``,
category ``survey`` (patient-reported answers), ``issued`` at the report's time,
so an EHR can send them back to the CDS service as they are. Values:

* yes/no -> ``valueBoolean``;
* a whole number without a unit -> ``valueInteger`` (a 0-10 pain score);
* a number with a unit, or a decimal -> ``valueQuantity`` (UCUM where the unit is known);
* one of a fact's listed values -> ``valueCodeableConcept`` (code = the value, in a
  per-fact system ``<fact system>:<fact>``); free text -> ``valueString``;
* a list -> one Observation per item (the CDS intake collects them back into the
  list); an empty list ("none of these") has no item to carry and gives no
  Observation.
"""
from __future__ import annotations

import logging
from datetime import date
from typing import Any, Mapping

from decision_core.fhir.codes import OBSERVATION_CATEGORY, UCUM, Entries

log = logging.getLogger(__name__)

# Units the catalogue's facts use, as UCUM codes.
UCUM_UNITS = {"years": "a", "year": "a", "months": "mo", "weeks": "wk", "days": "d", "hours": "h",
              "minutes": "min", "seconds": "s", "degrees": "deg", "kg": "kg", "cm": "cm"}
CHOICE_TYPES = ("choice", "choices", "list")


def _get(obj: Any, name: str) -> Any:
    """A field of a dataclass (the lead's Patient, ClinicProfile) or a mapping (an HTTP body)."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _birth_date(value: Any) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return _text(value)


class Parties:
    """The subject, the clinician and the clinic of one record, added to the bundle once."""

    def __init__(self, entries: Entries, options: Mapping[str, Any]):
        patient = options.get("patient")
        name = _text(_get(patient, "name"))
        self.author = self._practitioner(entries, _text(options.get("clinician")))
        clinic = self._organization(entries, options.get("clinic"))
        reference = options.get("patient_reference")
        if reference:
            self.subject = {"reference": reference.strip(), **({"display": name} if name else {})}
            return
        identifier = _text(_get(patient, "identifier"))
        self.subject = entries.add({
            "resourceType": "Patient",
            "identifier": [{"value": identifier}] if identifier else [],
            "name": [{"text": name}] if name else [],
            "birthDate": _birth_date(_get(patient, "birth_date")),
            "managingOrganization": clinic,
        })
        if name:
            self.subject = dict(self.subject, display=name)

    @staticmethod
    def _practitioner(entries: Entries, name: str | None) -> dict[str, str] | None:
        if not name:
            return None
        return dict(entries.add({"resourceType": "Practitioner", "name": [{"text": name}]}), display=name)

    @staticmethod
    def _organization(entries: Entries, clinic: Any) -> dict[str, str] | None:
        name = _text(_get(clinic, "name"))
        if not name:
            return None
        phone, address = _text(_get(clinic, "phone")), _text(_get(clinic, "address"))
        return dict(entries.add({
            "resourceType": "Organization",
            "name": name,
            "telecom": [{"system": "phone", "value": phone, "use": "work"}] if phone else [],
            "address": [{"text": address}] if address else [],
        }), display=name)


def _fact_catalogue(core) -> dict[str, Any]:
    from decision_core.installation import catalogue_or_none

    catalogue = catalogue_or_none(core, log, "fact labels")
    return {} if catalogue is None else dict(catalogue.facts)


def value_system(fact_system: str, name: str) -> str:
    """The code system of one fact's listed values."""
    return f"{fact_system}:{name}" if fact_system.startswith("urn:") else f"{fact_system.rstrip('/')}/{name}"


def _value(name: str, value: Any, fact: Any, fact_system: str) -> dict[str, Any] | None:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    unit = getattr(fact, "unit", None)
    if isinstance(value, int) and not unit:
        return {"valueInteger": value}
    if isinstance(value, (int, float)):
        q: dict[str, Any] = {"value": value}
        if unit:
            q["unit"] = unit
            if unit in UCUM_UNITS:
                q.update(system=UCUM, code=UCUM_UNITS[unit])
        return {"valueQuantity": q}
    if isinstance(value, str):
        if getattr(fact, "type", None) in CHOICE_TYPES or value in (getattr(fact, "values", None) or ()):
            return {"valueCodeableConcept": {"coding": [{"system": value_system(fact_system, name), "code": value}],
                                             "text": value.replace("_", " ")}}
        return {"valueString": value}
    log.warning("fact %s: a %s value has no FHIR form; left out of the record", name, type(value).__name__)
    return None


def fact_observations(entries: Entries, facts: Mapping[str, Any], subject: dict[str, str], stamp: str,
                      fact_system: str, core=None) -> dict[str, list[dict[str, str]]]:
    """One Observation per answer (per item of a list answer), labelled from ``core``'s fact
    catalogue (default: the process default's); their references by fact name."""
    catalogue = _fact_catalogue(core)
    refs: dict[str, list[dict[str, str]]] = {}
    for name in sorted(facts):
        fact = catalogue.get(name)
        label = getattr(fact, "label", None) or name.replace("_", " ")
        values = facts[name] if isinstance(facts[name], (list, tuple)) else [facts[name]]
        for item in values:
            value = _value(name, item, fact, fact_system)
            if value is None:
                continue
            refs.setdefault(name, []).append(entries.add({
                "resourceType": "Observation",
                "status": "final",
                "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
                "code": {"coding": [{"system": fact_system, "code": name, "display": label}], "text": label},
                "subject": subject,
                "issued": stamp,
                **value,
            }))
    return refs


__all__ = ["Parties", "fact_observations", "value_system", "UCUM_UNITS"]
