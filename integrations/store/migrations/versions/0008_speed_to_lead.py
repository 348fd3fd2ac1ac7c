"""speed-to-lead: a hot lead's first-touch deadline, claim and first-contact times, escalations

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        batch_op.add_column(sa.Column("first_touch_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("first_contacted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalations", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_leads_first_touch_by", ["first_touch_by"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_index("ix_leads_first_touch_by")
        batch_op.drop_column("escalations")
        batch_op.drop_column("first_contacted_at")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("first_touch_by")
