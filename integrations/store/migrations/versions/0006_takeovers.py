"""rep takeovers of live conversations (one open per conversation) and rep presence

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:40:00

`takeovers` records which rep took a conversation over from the bot and when it was handed back;
a partial unique index allows one open takeover (released_at NULL) per conversation. `rep_presence`
holds when each rep's console was last seen, so the bot can tell whether anyone is online.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "takeovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("rep", sa.String(length=100), nullable=False),
        sa.Column("rep_name", sa.String(length=200), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_takeovers_conversation_id", "takeovers", ["conversation_id"])
    op.create_index(
        "one_open_takeover_per_conversation",
        "takeovers",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text("released_at IS NULL"),
        postgresql_where=sa.text("released_at IS NULL"),
    )
    op.create_table(
        "rep_presence",
        sa.Column("rep", sa.String(length=100), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rep"),
    )


def downgrade() -> None:
    op.drop_table("rep_presence")
    op.drop_index("one_open_takeover_per_conversation", table_name="takeovers")
    op.drop_index("ix_takeovers_conversation_id", table_name="takeovers")
    op.drop_table("takeovers")
