"""The record's tables (SQLAlchemy 2 Core). Ids, never rendered words: a record stays readable
across releases and languages. Changing a table means a new Alembic revision (migrations/versions)."""
from __future__ import annotations

from sqlalchemy import (JSON, Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table, Text)

metadata = MetaData()

# One evaluation.
records = Table(
    "records", metadata,
    Column("id", String(32), primary_key=True),  # uuid4 hex, made before the write (so a spooled record has it)
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("source", String(16), nullable=False),  # rest | report | cds | interview | questionnaire | cli
    Column("patient_ref", String(128), index=True),  # the client's pseudonymous reference, when given
    Column("creator", String(64)),  # a hash of the API key (or CDS issuer) that made it: feedback rights
    Column("engine", String(16), nullable=False),
    Column("rulesets", JSON, nullable=False),  # {ruleset id: version}
    Column("facts", JSON, nullable=False),
    Column("triage", String(64), nullable=False),
    Column("triage_rules", JSON, nullable=False),
    Column("fired_rules", JSON, nullable=False),
)

# What the result listed: causes (rank, confidence), recommendations, withheld items (policy line), avoid items;
# with the rules behind each.
record_items = Table(
    "record_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(32), ForeignKey("records.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("item_id", String(128), nullable=False),
    Column("rank", Integer),
    Column("confidence", Float),
    Column("policy", String(128)),
    Column("rules", JSON, nullable=False),
)

# CDS Hooks card and suggestion uuids: what a clinician's feedback is about.
record_cards = Table(
    "record_cards", metadata,
    Column("uuid", String(36), primary_key=True),
    Column("record_id", String(32), ForeignKey("records.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # card | suggestion
)

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(32), ForeignKey("records.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("channel", String(8), nullable=False),  # cds | rest
    Column("target_kind", String(16), nullable=False),  # card | suggestion | triage | cause | recommendation
    Column("target_id", String(128), nullable=False),
    Column("outcome", String(16), nullable=False),  # accepted | overridden
    Column("reason_system", String(256)),
    Column("reason", String(128)),
    Column("comment", Text),
    Column("accepted_suggestions", JSON),
    Column("rules", JSON, nullable=False),  # the rules the answer is about
    Column("outcome_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

follow_ups = Table(
    "follow_ups", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(32), ForeignKey("records.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("groc", Integer, nullable=False),  # Global Rating of Change, -7..+7
    Column("pain", Integer),  # numeric rating 0..10
    Column("adherence", String(8)),  # all | some | none
    Column("comment", Text),
    Column("answered_at", DateTime(timezone=True), nullable=False),
)

# A patient erased: spooled records of theirs made before it never land.
erasures = Table(
    "erasures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_hash", String(64), nullable=False, index=True),
    Column("erased_at", DateTime(timezone=True), nullable=False),
)

CHILD_TABLES = (record_items, record_cards, feedback, follow_ups)
