"""The source registry: what each cited source is, kept as data.

A ``kind: sources`` ruleset lists sources under ``entries:``; the built-ins
register the seed articles and this product's own safety policy
(``rulesets/sources.yaml``), and a plugin registers its own the same way. The
catalogue build rejects a citation of a source id no ruleset registers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from marshmallow import RAISE, Schema, fields, post_load, validate

from decision_core.catalogue.citations import Citation

if TYPE_CHECKING:  # pragma: no cover
    from decision_core.catalogue.model import RulesetDocument

# article: a published text the rulesets quote; policy: this product's own rules.
SOURCE_KINDS = ("article", "policy")
# Whether a citation must carry a verbatim quote, unless an entry says otherwise.
QUOTES_REQUIRED_BY_DEFAULT = {"article": True, "policy": False}


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    kind: str
    description: str
    ruleset: str
    origin: str
    quotes_required: bool = True
    author: str | None = None  # who wrote it, where the article says
    patient_title: str | None = None  # what a patient's list calls a source in our own words (the policy)

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "publisher": self.publisher, "kind": self.kind,
                "description": self.description, "quotes_required": self.quotes_required,
                "ruleset": self.ruleset, "plugin": self.origin, "author": self.author,
                "patient_title": self.patient_title}


class SourceEntrySchema(Schema):
    """One entry of a ``kind: sources`` ruleset."""

    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Regexp(
        r"^([0-9]{3}|[a-z][a-z0-9_]*)$",
        error="must be a three-digit prefix such as \"000\" (an article's text file NNN_*.txt) or lower_snake_case"))
    title = fields.String(required=True, validate=validate.Length(min=3, max=300))
    # the title is the source's own (never translated); who published it is described in our words
    publisher = fields.String(required=True, validate=validate.Length(min=2, max=300), metadata={"translate": True})
    author = fields.String(validate=validate.Length(min=2, max=300), metadata={"translate": True})
    # a source that is ours (the policy) may say in plain words what it is, for a patient's list
    patient_title = fields.String(validate=validate.Length(min=3, max=300), metadata={"translate": True})
    kind = fields.String(required=True, validate=validate.OneOf(SOURCE_KINDS))
    description = fields.String(required=True, validate=validate.Length(min=3, max=600), metadata={"translate": True})
    quotes_required = fields.Boolean()

    @post_load
    def _default_quotes(self, data, **kwargs):
        data.setdefault("quotes_required", QUOTES_REQUIRED_BY_DEFAULT[data["kind"]])
        return data


def make_source(entry: dict, ruleset: str, origin: str) -> Source:
    return Source(entry["id"], entry["title"].strip(), entry["publisher"].strip(), entry["kind"],
                  " ".join(entry["description"].split()), ruleset, origin, entry["quotes_required"],
                  entry.get("author"), entry.get("patient_title"))


def cited(doc: "RulesetDocument") -> Iterator[tuple[str, tuple[Citation, ...]]]:
    """(where, citations) of everything in one document that cites sources: the cause, items (and their
    doses, progressions and stop rules), policy lines and rules (not the rules generated from ``for_causes``: they cite what their item cites)."""
    for _, _, where, citations in citing(doc):
        yield where, citations


def citing(doc: "RulesetDocument") -> Iterator[tuple[str, str, str, tuple[Citation, ...]]]:
    """(kind, key, where, citations) of what ``cited`` yields: ``kind``/``key`` name the thing that cites."""
    if doc.cause:
        yield "cause", doc.cause.id, f"cause {doc.cause.id}", doc.cause.citations
    for item in doc.recommendations:
        yield "item", item.id, f"item {item.id}", item.citations
        if item.dose.citations:
            yield "dose", item.id, f"item {item.id} dose", item.dose.citations
        for name in ("progression", "stop_if"):
            note = getattr(item, name)
            if note is not None:
                yield name, item.id, f"item {item.id} {name}", note.citations
    for item in doc.avoid:
        yield "item", item.id, f"item {item.id}", item.citations
    for line in doc.policy:
        yield "policy line", line.id, line.id, line.citations
    if doc.programme is not None:
        for rule in doc.programme.fit:
            yield "programme", doc.info.id, f"fit {rule.id}", rule.citations
        for entry in doc.programme.doses:
            yield "programme", doc.info.id, f"dose {entry.key}", entry.dose.citations
    for rule in doc.rules:
        if rule.generated_from is None:
            yield "rule", rule.id, rule.id, rule.citations


__all__ = ["Source", "SourceEntrySchema", "SOURCE_KINDS", "make_source", "cited", "citing"]
