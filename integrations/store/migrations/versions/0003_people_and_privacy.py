"""people, one lead per conversation, hand-off requests, transcript links, scheduled jobs

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# 0001 created the unique constraint on leads.email without a name: SQLite reflects it unnamed
# (named here by the convention), PostgreSQL named it leads_email_key.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _email_unique_constraints() -> list[str]:
    constraints = sa.inspect(op.get_bind()).get_unique_constraints("leads")
    return [item["name"] or "uq_leads_email" for item in constraints if item["column_names"] == ["email"]]


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("person_name", sa.String(length=200), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email", name="uq_people_email"),
    )
    with op.batch_alter_table("leads", naming_convention=_NAMING) as batch_op:
        for name in _email_unique_constraints():
            batch_op.drop_constraint(name, type_="unique")
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unverified", sa.JSON(), nullable=True))
        batch_op.create_foreign_key("fk_leads_person_id", "people", ["person_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index("ix_leads_person_id", ["person_id"], unique=False)
        batch_op.create_index("ix_leads_email", ["email"], unique=False)
    # every lead with an email so far was the only one with it: it becomes its person
    op.execute(
        "INSERT INTO people (email, person_name, company, phone, created_at, updated_at) "
        "SELECT lower(l.email), l.person_name, l.company, l.phone, l.created_at, l.updated_at FROM leads l "
        "WHERE l.email IS NOT NULL AND l.id = (SELECT min(o.id) FROM leads o WHERE lower(o.email) = lower(l.email))"
    )
    op.execute("UPDATE leads SET person_id = (SELECT p.id FROM people p WHERE p.email = lower(leads.email))")

    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("client", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoff_requests_conversation_id", "handoff_requests", ["conversation_id"])
    op.create_index("ix_handoff_requests_client", "handoff_requests", ["client"])
    op.create_index("ix_handoff_requests_created_at", "handoff_requests", ["created_at"])
    op.create_table(
        "transcript_links",
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ref"),
    )
    op.create_index("ix_transcript_links_conversation_id", "transcript_links", ["conversation_id"])
    op.create_table(
        "scheduled_jobs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    duplicates = op.get_bind().execute(
        sa.text("SELECT count(*) FROM (SELECT email FROM leads WHERE email IS NOT NULL GROUP BY email HAVING count(*) > 1) d")
    ).scalar()
    if duplicates:  # never delete a conversation's lead to fit the old schema
        raise RuntimeError(f"{duplicates} emails have several leads; the old schema allows one lead per email")
    op.drop_table("scheduled_jobs")
    op.drop_index("ix_transcript_links_conversation_id", table_name="transcript_links")
    op.drop_table("transcript_links")
    op.drop_index("ix_handoff_requests_created_at", table_name="handoff_requests")
    op.drop_index("ix_handoff_requests_client", table_name="handoff_requests")
    op.drop_index("ix_handoff_requests_conversation_id", table_name="handoff_requests")
    op.drop_table("handoff_requests")
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_index("ix_leads_email")
        batch_op.drop_index("ix_leads_person_id")
        batch_op.drop_constraint("fk_leads_person_id", type_="foreignkey")
        batch_op.drop_column("unverified")
        batch_op.drop_column("person_id")
        batch_op.create_unique_constraint("leads_email_key", ["email"])
    op.drop_table("people")
