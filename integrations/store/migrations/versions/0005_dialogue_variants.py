"""the wording variants a lead's visitor was asked (leads.dialogue_variants)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:00:00

A JSON mapping of question to variant name (integrations/variants.py), so a lead says which wording of
each question in an A/B test its visitor saw; null for leads without variants and for earlier leads.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        batch_op.add_column(sa.Column("dialogue_variants", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_column("dialogue_variants")
