"""The tables of a people database and of the decision log (SQLAlchemy Core).

The migrations (``migrations/versions``) create exactly these tables; :data:`HEAD` is the
revision a database must be at to be read.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

HEAD = "0002"
"""The schema revision this version of kdv_policy reads and writes."""

VERSION_TABLE = "kdv_schema_version"
"""Alembic's version table (its own name, so a database shared with other applications keeps theirs)."""

CHANNEL = "kdv_people"
"""The PostgreSQL notification channel a change of the people tables is announced on."""

metadata = MetaData()

persons = Table(
    "persons", metadata,
    Column("id", String(200), primary_key=True),
    Column("name", Text, nullable=False),
)

person_aliases = Table(
    "person_aliases", metadata,
    Column("person_id", String(200), ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("alias", Text, nullable=False),
)

assignments = Table(
    "assignments", metadata,
    Column("person_id", String(200), ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(200), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_until", Date, nullable=True),
)

people_changes = Table(
    "people_changes", metadata,
    Column("id", Integer, primary_key=True),
    Column("counter", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

units = Table(
    "units", metadata,
    Column("id", String(200), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(200), nullable=False),
    Column("parent", String(200), nullable=True),
    Column("article", String(3), nullable=True),
    Column("nominative", Text, nullable=True),
    Column("genitive", Text, nullable=True),
    Column("dative", Text, nullable=True),
    Column("accusative", Text, nullable=True),
)

unit_aliases = Table(
    "unit_aliases", metadata,
    Column("unit_id", String(200), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("alias", Text, nullable=False),
)

decisions = Table(
    "decisions", metadata,
    Column("decision_id", String(36), primary_key=True),
    Column("decided_at", DateTime(timezone=True), nullable=False, index=True),
    Column("question", String(40), nullable=False),
    Column("arguments", Text, nullable=False),
    Column("resolved", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("interpretations", Text, nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("data_version", String(100), nullable=False),
    Column("subjects", Text, nullable=False),
)

PEOPLE_TABLES = ("persons", "person_aliases", "assignments")
UNIT_TABLES = ("units", "unit_aliases")
