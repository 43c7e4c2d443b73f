"""A dose as structured fields: sets, reps, hold, time, per side, how often and
for how many weeks, each figure a number or a range.

Rulesets give the dose their sources give; a clinic profile fills what the
sources leave out, and a practitioner can override any dose for one report.
``resolve`` merges the three and remembers, per field, where each figure came
from, so a report can say "from the source" or "your clinic" and leave a marked
blank where nobody gave a figure. ``dose_text`` is the one place a dose becomes
words (the gettext callable translates it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

import orjson

from decision_core.catalogue.citations import Citation

Number = int | float
Amount = Number | tuple[Number, Number]  # a figure, or a range (low, high)

PERIODS = ("day", "week")
AMOUNT_FIELDS = ("sets", "reps", "hold_seconds", "duration_seconds")
# What a dose is made of, in the order a person reads it.
FIGURES = ("sets", "reps", "hold_seconds", "duration_seconds", "per_side", "frequency", "weeks")
# where a figure comes from: a source's passage, the product's default starting dose (rulesets' programme
# dose table), the clinic's profile or the practitioner's override
BASES = ("source", "default", "clinic", "practitioner")
# the figures that say how much each time: a dose takes them together from one layer, never mixed
AMOUNT_GROUP = ("reps", "hold_seconds", "duration_seconds", "per_side")


class DoseError(ValueError):
    """A dose (or a dose spec such as '3x12@daily') that cannot be read; says which part and why."""


def _given(description: str, omit: str = "none"):
    """A figure nobody may have given: None, and left out of the dictionary form."""
    return field(default=None, metadata={"omit": omit, "description": description})


@dataclass(frozen=True, slots=True)
class Frequency:
    times: int = field(metadata={"description": "How many times per period."})
    per: str = field(metadata={"description": "day | week", "enum": PERIODS})

    def to_dict(self) -> dict[str, Any]:
        return {"times": self.times, "per": self.per}


@dataclass(frozen=True, slots=True)
class Dose:
    # The metadata describes its dictionary form (to_dict) for the result's schema (decision_core.result.shape).
    sets: Amount | None = _given("Sets: a number, or a range {low, high}.")
    reps: Amount | None = _given("Repetitions per set.")
    hold_seconds: Amount | None = _given("How long each repetition is held, in seconds.")
    duration_seconds: Amount | None = _given("How long the whole exercise lasts, in seconds (e.g. rolling 30-60 s).")
    per_side: bool | None = _given("The figures are for each side.")
    frequency: Frequency | None = _given("How often.")
    weeks: int | None = _given("For how many weeks.")
    detail: str | None = _given("How to do it, in words (not a figure).", omit="empty")
    # where each figure came from: field name -> source | default | clinic | practitioner
    basis: Mapping[str, str] = field(default_factory=dict, compare=False, metadata={
        "omit": "empty", "enum": BASES, "description": (
            "Where each figure came from, by field name: source | default (the product's starting dose, cited as "
            "the source 'defaults') | clinic | practitioner.")})
    # the passages the source's figures rest on (verbatim), so "from the source" can be checked
    citations: tuple[Citation, ...] = field(default=(), metadata={"omit": "empty", "description": (
        "The passages of the sources that give the figures with basis 'source', verbatim (and the source "
        "'defaults' for figures with basis 'default').")})

    def given(self) -> list[str]:
        """The figures this dose has (in reading order)."""
        return [name for name in FIGURES if getattr(self, name) is not None]

    def missing(self, kind: str) -> list[str]:
        """The figures a full dose of this kind still lacks: an exercise needs how many sets, how much
        each time (reps, a hold or a time) and how often; other kinds need nothing."""
        if kind != "exercise":
            return []
        out = []
        if self.sets is None:
            out.append("sets")
        if self.reps is None and self.hold_seconds is None and self.duration_seconds is None:
            out.append("reps")
        if self.frequency is None:
            out.append("frequency")
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in FIGURES:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, Frequency):
                value = value.to_dict()
            elif isinstance(value, tuple):
                value = {"low": value[0], "high": value[1]}
            out[name] = value
        if self.detail:
            out["detail"] = self.detail
        if self.basis:
            out["basis"] = dict(self.basis)
        if self.citations:
            out["citations"] = [{"source": c.source, "quote": c.quote} if c.quote else {"source": c.source}
                                for c in self.citations]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, basis: str | None = None) -> "Dose":
        """A dose from its dictionary form (a ruleset's, a clinic profile's or a result's).
        ``basis`` marks every given figure as coming from there, unless the data says."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise DoseError(f"a dose is a mapping of {', '.join(FIGURES)}, not {type(data).__name__}")
        unknown = sorted(set(data) - set(FIGURES) - {"detail", "basis", "citations"})
        if unknown:
            raise DoseError(f"unknown dose field {unknown[0]!r}; a dose has {', '.join(FIGURES)} and detail")
        values: dict[str, Any] = {}
        for name in AMOUNT_FIELDS:
            if data.get(name) is not None:
                values[name] = amount(data[name], name)
        if data.get("per_side") is not None:
            if not isinstance(data["per_side"], bool):
                raise DoseError(f"per_side: must be true or false, not {data['per_side']!r}")
            values["per_side"] = data["per_side"]
        if data.get("frequency") is not None:
            values["frequency"] = frequency(data["frequency"])
        if data.get("weeks") is not None:
            values["weeks"] = _whole(data["weeks"], "weeks")
        if data.get("detail"):
            values["detail"] = str(data["detail"])
        given_basis = dict(data.get("basis") or {})
        if basis is not None:
            given_basis = {name: given_basis.get(name, basis) for name in values if name != "detail"}
        citations = tuple(Citation(c["source"], c.get("quote")) if isinstance(c, Mapping) else Citation(str(c))
                          for c in data.get("citations") or ())
        return cls(**values, basis=given_basis, citations=citations)


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise DoseError(f"{name}: must be a whole number of at least 1, not {value!r}")
    if value > 1000:
        raise DoseError(f"{name}: {value} is more than 1000")
    return int(value)


def _figure(value: Any, name: str) -> Number:
    if isinstance(value, str):
        try:
            value = float(value) if "." in value else int(value)
        except ValueError:
            raise DoseError(f"{name}: {value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise DoseError(f"{name}: must be a positive number, not {value!r}")
    if value > 10000:
        raise DoseError(f"{name}: {value} is more than 10000")
    return int(value) if float(value).is_integer() else float(value)


def amount(value: Any, name: str) -> Amount:
    """A figure or a range: 12, '10-12', [10, 12] or {low: 10, high: 12}."""
    if isinstance(value, Mapping):
        low, high = value.get("low"), value.get("high")
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        low, high = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[\d.]+\s*[-\u2013]\s*[\d.]+\s*", value):
        low, high = re.split(r"[-\u2013]", value)
    else:
        return _figure(value, name)
    low, high = _figure(low, name), _figure(high, name)
    if low > high:
        raise DoseError(f"{name}: the range {low}-{high} runs backwards")
    return low if low == high else (low, high)


_WORD_FREQUENCIES = {"daily": Frequency(1, "day"), "weekly": Frequency(1, "week"),
                     "twice daily": Frequency(2, "day"), "twice weekly": Frequency(2, "week")}
_TIMES_WORDS = {"once": 1, "twice": 2}


def frequency(value: Any) -> Frequency:
    """How often: 'daily', 'weekly', '2/day', '2/week', 'twice a week', '3 times a day' or {times: 2, per: week}."""
    if isinstance(value, Frequency):
        return value
    if isinstance(value, Mapping):
        times, per = value.get("times", 1), value.get("per")
    elif isinstance(value, str):
        text = " ".join(value.lower().replace("-", " ").split())
        if text in _WORD_FREQUENCIES:
            return _WORD_FREQUENCIES[text]
        match = re.fullmatch(r"(\d+)\s*(?:x\s*)?/\s*(day|week)", text) or re.fullmatch(
            r"(once|twice|\d+ times) (?:a|per) (day|week)", text)
        if not match:
            raise DoseError(f"frequency: {value!r} is not one of daily, weekly, N/day, N/week")
        times = _TIMES_WORDS.get(match[1]) or int(match[1].split()[0])
        per = match[2]
    else:
        raise DoseError(f"frequency: {value!r} is not one of daily, weekly, N/day, N/week")
    if per not in PERIODS:
        raise DoseError(f"frequency: per must be one of {', '.join(PERIODS)}, not {per!r}")
    times = _whole(times, "frequency times")
    if times > 20:
        raise DoseError(f"frequency: {times} times a {per} is more than 20")
    return Frequency(times, per)


_RANGE = r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?"
_SPEC = re.compile(
    rf"(?:(?P<sets>{_RANGE})x)?(?:(?P<reps>{_RANGE})(?:x(?P<hold>{_RANGE})s)?|(?P<secs>{_RANGE})s)"
    r"(?P<side>\+side)?(?:@(?P<freq>[a-z0-9/ ]+?))?(?:~(?P<weeks>\d+)w)?")


def _written(text: str, name: str) -> Amount:
    """A figure or range as a practitioner writes it short: a range written high-low means low-high."""
    low, sep, high = text.partition("-")
    return amount(f"{min(float(low), float(high)):g}-{max(float(low), float(high)):g}" if sep else text, name)


def parse_spec(spec: str, basis: str = "practitioner") -> Dose:
    """A dose written short, for a command line or a form:

    ``3x12@daily`` 3 sets of 12, daily; ``2x15-30@2/week`` 2 sets of 15 to 30, twice a week;
    ``1x5x5s`` 1 set of 5 reps holding 5 s each; ``3x30s@2/day`` 3 holds of 30 s, twice a day;
    ``30-60s`` 30 to 60 seconds; ``+side`` each side; ``~6w`` for 6 weeks.
    """
    text = "".join(str(spec).lower().split()).replace("\u00d7", "x")
    match = _SPEC.fullmatch(text)
    if not match:
        raise DoseError(f"{spec!r} is not a dose such as 3x12@daily, 2x15-30@2/week, 3x30s@daily or 30-60s")
    values: dict[str, Any] = {}
    if match["sets"] and match["secs"]:
        values.update(sets=_written(match["sets"], "sets"), hold_seconds=_written(match["secs"], "hold_seconds"))
    elif match["secs"]:
        values["duration_seconds"] = _written(match["secs"], "duration_seconds")
    if match["reps"]:
        values["reps"] = _written(match["reps"], "reps")
        if match["sets"]:
            values["sets"] = _written(match["sets"], "sets")
    if match["hold"]:
        values["hold_seconds"] = _written(match["hold"], "hold_seconds")
    if match["side"]:
        values["per_side"] = True
    if match["freq"]:
        values["frequency"] = frequency(match["freq"])
    if match["weeks"]:
        values["weeks"] = _whole(int(match["weeks"]), "weeks")
    return Dose(**values, basis={name: basis for name in values})


def with_defaults(dose: Dose, default: Dose, basis: str = "default") -> Dose:
    """``dose`` with the figures it lacks taken from ``default`` (each marked ``basis``). How much each
    time (reps, a hold, a time, each side) is taken whole or not at all: a dose that says how much
    keeps its own, so '15 reps' never gains a default 'hold 30 s'. The default's citations are added."""
    has_amount = any(getattr(dose, name) is not None for name in AMOUNT_GROUP)
    values: dict[str, Any] = {}
    for name in default.given():
        if name in AMOUNT_GROUP and has_amount or getattr(dose, name) is not None:
            continue
        values[name] = getattr(default, name)
    if not values:
        return dose
    cited = dose.citations + tuple(c for c in default.citations if c not in dose.citations)
    return replace(dose, **values, basis={**dose.basis, **{name: basis for name in values}}, citations=cited)


def _without(dose: Dose, names: set[str]) -> Dose:
    return replace(dose, **{name: None for name in names}, basis={k: v for k, v in dose.basis.items() if k not in names})


def resolve(source: Dose, clinic: Dose | None = None, practitioner: Dose | None = None) -> Dose:
    """One dose from the three layers. The source's figures come first and the clinic's default fills
    what the source leaves out; a practitioner's override replaces the whole dose for that report
    (only how many weeks is kept when the override does not say). Each figure keeps its basis.

    Figures of ``source`` marked ``default`` (the product's starting dose, see :func:`with_defaults`)
    give way to the clinic's: the clinic's figures replace them (its how-much-each-time as a whole)."""
    defaults = {name for name, b in source.basis.items() if b == "default" and getattr(source, name) is not None}
    if clinic is not None and defaults:
        replaced = {name for name in defaults if getattr(clinic, name) is not None}
        if any(getattr(clinic, name) is not None for name in AMOUNT_GROUP):
            replaced |= defaults & set(AMOUNT_GROUP)
        source = _without(source, replaced)
    values: dict[str, Any] = {}
    basis: dict[str, str] = {}
    layers = ((clinic, "clinic"), (source, "source")) if practitioner is None else (
        (clinic, "clinic"), (source, "source"), (practitioner, "practitioner"))
    for layer, name in layers:
        if layer is None:
            continue
        if name == "practitioner":
            kept = {f: values[f] for f in ("weeks",) if f in values and layer.weeks is None}
            values, basis = dict(kept), {f: basis[f] for f in kept}
        for figure in layer.given():
            values[figure] = getattr(layer, figure)
            basis[figure] = layer.basis.get(figure, name)
    cited = source.citations if {"source", "default"} & set(basis.values()) else ()
    return replace(Dose(**values, detail=source.detail), basis=basis, citations=cited)


def _amount_text(value: Amount) -> str:
    if isinstance(value, tuple):
        return f"{_amount_text(value[0])}\u2013{_amount_text(value[1])}"
    return str(int(value)) if float(value).is_integer() else str(value)


def _seconds_text(value: Amount, gettext: Callable[[str], str]) -> str:
    """A time in seconds, or in minutes when it is whole minutes of two or more ('20 min')."""
    low, high = value if isinstance(value, tuple) else (value, value)
    if low >= 120 and low % 60 == 0 and high % 60 == 0:
        minutes = (low // 60, high // 60) if isinstance(value, tuple) else value // 60
        return gettext("{n} min").format(n=_amount_text(minutes))
    return gettext("{n} s").format(n=_amount_text(value))


def _plural(value: Amount) -> bool:
    return isinstance(value, tuple) or value != 1


def frequency_text(freq: Frequency, gettext: Callable[[str], str] = str) -> str:
    _ = gettext
    if freq.times == 1:
        return _("every day") if freq.per == "day" else _("once a week")
    if freq.times == 2:
        return _("twice a day") if freq.per == "day" else _("twice a week")
    return (_("{n} times a day") if freq.per == "day" else _("{n} times a week")).format(n=freq.times)


def figure_texts(dose: Dose, gettext: Callable[[str], str] = str) -> dict[str, str]:
    """Each given figure of a dose as words, by field name (for a table's cells)."""
    _ = gettext
    out: dict[str, str] = {}
    if dose.sets is not None:
        out["sets"] = (_("{n} sets") if _plural(dose.sets) else _("{n} set")).format(n=_amount_text(dose.sets))
    if dose.reps is not None:
        out["reps"] = (_("{n} reps") if _plural(dose.reps) else _("{n} rep")).format(n=_amount_text(dose.reps))
    if dose.hold_seconds is not None:
        out["hold_seconds"] = _("hold {n} s").format(n=_amount_text(dose.hold_seconds))
    if dose.duration_seconds is not None:
        out["duration_seconds"] = _seconds_text(dose.duration_seconds, gettext)
    if dose.per_side:
        out["per_side"] = _("each side")
    if dose.frequency is not None:
        out["frequency"] = frequency_text(dose.frequency, gettext)
    if dose.weeks is not None:
        out["weeks"] = (_("for {n} weeks") if dose.weeks != 1 else _("for {n} week")).format(n=dose.weeks)
    return out


def dose_text(dose: Dose, gettext: Callable[[str], str] = str) -> str:
    """The whole dose in one phrase: '3 sets, 10–12 reps, each side, twice a week, for 6 weeks'."""
    return ", ".join(figure_texts(dose, gettext).values())


def same_figures(a: Dose, b: Dose) -> bool:
    """Whether two doses prescribe the same (figures and detail; not where they came from)."""
    return replace(a, citations=()) == replace(b, citations=())


def dict_json(data: dict[str, Any]) -> bytes | None:
    """A dose's dictionary form as JSON from which ``orjson.loads`` gives back an equal dictionary of
    the same types (None when it would not: a value JSON cannot hold as it is). Each evaluation
    gives its result such a copy of its own, a third of the time copying the dictionary takes."""
    try:
        data_json = orjson.dumps(data)
    except TypeError:
        return None
    back = orjson.loads(data_json)
    return data_json if back == data and _same_types(back, data) else None


def _same_types(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return all(_same_types(x, y) for x, y in zip(a, b))
    return True
