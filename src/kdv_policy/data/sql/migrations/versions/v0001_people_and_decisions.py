"""People (persons, aliases, role assignments), their change counter, and the decision log.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_PEOPLE = ("persons", "person_aliases", "assignments")


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
    )
    op.create_table(
        "person_aliases",
        sa.Column("person_id", sa.String(200), sa.ForeignKey("persons.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("alias", sa.Text, nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("person_id", sa.String(200), sa.ForeignKey("persons.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("role", sa.String(200), primary_key=True),
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("valid_until", sa.Date, nullable=True),
    )
    op.create_index("assignments_by_role", "assignments", ["role"])
    op.create_table(
        "people_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("counter", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute("INSERT INTO people_changes (id, counter, updated_at) VALUES (1, 0, CURRENT_TIMESTAMP)")
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.String(36), primary_key=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("question", sa.String(40), nullable=False),
        sa.Column("arguments", sa.Text, nullable=False),
        sa.Column("resolved", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("interpretations", sa.Text, nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("data_version", sa.String(100), nullable=False),
        sa.Column("subjects", sa.Text, nullable=False),
    )
    op.create_index("decisions_by_time", "decisions", ["decided_at"])
    if op.get_context().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _postgresql_triggers() -> None:
    # every transaction changing the people tables counts once and is announced (LISTEN
    # kdv_people): the counter's row is updated once a transaction, not once a statement, since
    # each update of one row in one transaction lengthens the chain of its versions that the next
    # must walk (a feed writing row by row would take quadratic time)
    op.execute("""
        CREATE FUNCTION kdv_people_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE now_counter bigint;
        BEGIN
            IF current_setting('kdv.people_changed_in', true) IS DISTINCT FROM txid_current()::text THEN
                UPDATE people_changes SET counter = counter + 1, updated_at = CURRENT_TIMESTAMP
                    WHERE id = 1 RETURNING counter INTO now_counter;
                PERFORM set_config('kdv.people_changed_in', txid_current()::text, true);
                PERFORM pg_notify('kdv_people', now_counter::text);
            END IF;
            RETURN NULL;
        END $$""")
    for table in _PEOPLE:
        op.execute(f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION kdv_people_changed()")
    op.execute("""
        CREATE FUNCTION kdv_decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the decision log is append-only';
        END $$""")
    op.execute("CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON decisions "
               "FOR EACH STATEMENT EXECUTE FUNCTION kdv_decisions_append_only()")


def _sqlite_triggers() -> None:
    for table in _PEOPLE:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_{event.lower()}_changed AFTER {event} ON {table} "
                       "BEGIN UPDATE people_changes SET counter = counter + 1, "
                       "updated_at = CURRENT_TIMESTAMP WHERE id = 1; END")
    for event in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER decisions_{event.lower()}_refused BEFORE {event} ON decisions "
                   "BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER decisions_append_only ON decisions")
        op.execute("DROP FUNCTION kdv_decisions_append_only()")
        for table in _PEOPLE:
            op.execute(f"DROP TRIGGER {table}_changed ON {table}")
        op.execute("DROP FUNCTION kdv_people_changed()")
    for table in ("decisions", "people_changes", "assignments", "person_aliases", "persons"):
        op.drop_table(table)
