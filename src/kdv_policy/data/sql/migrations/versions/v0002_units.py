"""The organisation's units and their aliases, optional: units the organisation file does not
define, and further names of units (of the file or of this table).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_UNITS = ("units", "unit_aliases")


def upgrade() -> None:
    # `parent` and `unit_id` may name a unit of the organisation file: no foreign keys; the
    # reader checks every reference against the file and this table together
    op.create_table(
        "units",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(200), nullable=False),
        sa.Column("parent", sa.String(200), nullable=True),
        # the German forms an answer's sentence needs, as in organisation.toml (all optional)
        sa.Column("article", sa.String(3), nullable=True),
        sa.Column("nominative", sa.Text, nullable=True),
        sa.Column("genitive", sa.Text, nullable=True),
        sa.Column("dative", sa.Text, nullable=True),
        sa.Column("accusative", sa.Text, nullable=True),
    )
    op.create_table(
        "unit_aliases",
        sa.Column("unit_id", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("alias", sa.Text, nullable=False),
    )
    if op.get_context().dialect.name == "postgresql":
        for table in _UNITS:  # the function of revision 0001 counts and announces the change
            op.execute(f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION kdv_people_changed()")
    else:
        for table in _UNITS:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_{event.lower()}_changed AFTER {event} ON {table} "
                           "BEGIN UPDATE people_changes SET counter = counter + 1, "
                           "updated_at = CURRENT_TIMESTAMP WHERE id = 1; END")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in _UNITS:
            op.execute(f"DROP TRIGGER {table}_changed ON {table}")
    for table in reversed(_UNITS):
        op.drop_table(table)
