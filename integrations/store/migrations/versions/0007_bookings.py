"""bookings: meetings booked in the chat, one booked meeting per rep and start time

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:00:00

The uniqueness rule is a partial unique index (status = 'booked'), which SQLite and PostgreSQL both
enforce, so a cancelled meeting frees its slot and two bookings of one slot give one row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep_email", sa.String(length=320), nullable=False),
        sa.Column("rep_name", sa.String(length=200), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("visitor_name", sa.String(length=200), nullable=True),
        sa.Column("visitor_email", sa.String(length=320), nullable=True),
        sa.Column("visitor_timezone", sa.String(length=64), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),  # erased with the lead
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bookings_status", "bookings", ["status"])
    op.create_index("ix_bookings_lead_id", "bookings", ["lead_id"])
    op.create_index("ix_bookings_conversation_id", "bookings", ["conversation_id"])
    op.create_index(
        "uq_bookings_rep_start_booked",
        "bookings",
        ["rep_email", "start_at"],
        unique=True,
        sqlite_where=sa.text("status = 'booked'"),
        postgresql_where=sa.text("status = 'booked'"),
    )


def downgrade() -> None:
    op.drop_table("bookings")
