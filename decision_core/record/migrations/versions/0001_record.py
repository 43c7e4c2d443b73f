"""the record: records, their items and cards, feedback, follow-ups, erasures

Revision ID: 0001
Revises:
Create Date: 2026-12-10
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _record_fk():
    return sa.Column("record_id", sa.String(32), sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False,
                     index=True)


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", TZ, nullable=False, index=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("patient_ref", sa.String(128), index=True),
        sa.Column("creator", sa.String(64)),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("rulesets", sa.JSON, nullable=False),
        sa.Column("facts", sa.JSON, nullable=False),
        sa.Column("triage", sa.String(64), nullable=False),
        sa.Column("triage_rules", sa.JSON, nullable=False),
        sa.Column("fired_rules", sa.JSON, nullable=False),
    )
    op.create_table(
        "record_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _record_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("item_id", sa.String(128), nullable=False),
        sa.Column("rank", sa.Integer),
        sa.Column("confidence", sa.Float),
        sa.Column("policy", sa.String(128)),
        sa.Column("rules", sa.JSON, nullable=False),
    )
    op.create_table(
        "record_cards",
        sa.Column("uuid", sa.String(36), primary_key=True),
        _record_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _record_fk(),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason_system", sa.String(256)),
        sa.Column("reason", sa.String(128)),
        sa.Column("comment", sa.Text),
        sa.Column("accepted_suggestions", sa.JSON),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("outcome_at", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _record_fk(),
        sa.Column("groc", sa.Integer, nullable=False),
        sa.Column("pain", sa.Integer),
        sa.Column("adherence", sa.String(8)),
        sa.Column("comment", sa.Text),
        sa.Column("answered_at", TZ, nullable=False),
    )
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patient_hash", sa.String(64), nullable=False, index=True),
        sa.Column("erased_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("erasures", "follow_ups", "feedback", "record_cards", "record_items", "records"):
        op.drop_table(table)
