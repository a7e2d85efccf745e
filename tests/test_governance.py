"""The bundled governance: traceable to the text, and saying what the text says.

Three parts:

* traceability: every clause of ``rules/*.dl`` has an ``@id`` and a verbatim ``@source`` from
  ``rules/source-text.txt``; every sentence of that text is cited or listed in
  ``docs/governance.md`` as deliberately not encoded, and the doc's table is exact;
* statements: the rules and the organisation data, evaluated by the engine, derive what
  the text states (and not more where it matters);
* data independence: collective phrases are rules over units, so new units and roles join
  without a rule being edited.
"""

from __future__ import annotations

import datetime
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kdv_policy.data import DATA_FILE, DATA_PREDICATES, load_data, parse_data
from kdv_policy.engine.evaluation import Engine
from kdv_policy.policy.loader import analyse_directory, load_program

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
SOURCE_TEXT = RULES / "source-text.txt"
SEED = ROOT.parent / "shared" / "seed" / "000_96be3098e83d6201.txt"
GOVERNANCE_DOC = ROOT / "docs" / "governance.md"

DEPARTEMENTE = ("div", "dfs", "dek", "dbu", "djs")


# -- helpers ---------------------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    """The sentences of the governance text, in order: one per heading, one per sentence of
    a paragraph or list item (the leading ``- `` of a list item dropped)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("- "):
            line = line[2:]
        if line:
            out += re.split(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ])", line)
    return out


def doc_table() -> list[tuple[int, str, list[str], str]]:
    """The rows of the traceability table of docs/governance.md: (number, sentence, ids, note)."""
    rows = []
    row = re.compile(r"^\| *(\d+) *\| (.+?) \| (.*?) \| (.*?) \|$")
    for line in GOVERNANCE_DOC.read_text(encoding="utf-8").splitlines():
        found = row.match(line)
        if found:
            number, sentence, ids, note = found.groups()
            rows.append((int(number), sentence, re.findall(r"`([^`]+)`", ids), note.strip()))
    return rows


@cache
def program(*interpretations: str):
    """The bundled program as the text reads it, with the interpretations named adopted (none by default)."""
    return load_program(RULES).program.adopting(interpretations)


@cache
def bundled_text() -> str:
    return (RULES / DATA_FILE).read_text(encoding="utf-8")


def engine(extra_toml: str = "", interpretations: tuple[str, ...] = (), **extra_facts) -> Engine:
    """The bundled rules (with ``interpretations`` adopted) over the bundled data (plus
    ``extra_toml``) and ``extra_facts``."""
    data = parse_data(bundled_text() + extra_toml, DATA_FILE) if extra_toml else load_data(RULES)
    facts = {p: list(rows) for p, rows in data.facts.items()}
    for predicate, rows in extra_facts.items():
        facts.setdefault(predicate, []).extend(rows)
    return Engine(program(*interpretations), facts=facts)


@pytest.fixture(scope="module")
def model():
    return engine().model


def holds(model, predicate: str, *row) -> bool:
    return tuple(row) in model[predicate]


def column(model, predicate: str, index: int, **where) -> set:
    """Values of argument ``index`` of the rows that have ``where`` (argument index → value)."""
    fixed = {int(k.lstrip("a")): v for k, v in where.items()}
    return {r[index] for r in model[predicate] if all(r[i] == v for i, v in fixed.items())}


# -- traceability ----------------------------------------------------------------------------


def test_source_text_beside_the_rules_is_the_seed_text():
    if not SEED.is_file():
        pytest.skip("the shared seed text is not beside this checkout")
    assert SOURCE_TEXT.read_bytes() == SEED.read_bytes()


def test_the_bundled_policy_checks_without_errors_or_warnings():
    result, _, _ = analyse_directory(RULES)
    assert not result.diagnostics, "\n".join(d.render() for d in result.diagnostics)


def test_every_clause_has_an_id_and_a_basis():
    missing = [c.head for c in program().clauses if c.id is None or c.basis is None]
    assert not missing


def test_every_citation_is_verbatim_and_belongs_to_exactly_one_sentence():
    text = SOURCE_TEXT.read_text(encoding="utf-8")
    parts = sentences(text)
    for clause in program().clauses:
        for citation in clause.citations:
            assert citation in text, f"{clause.id}: not verbatim: {citation!r}"
            owners = [s for s in parts if citation in s]
            assert len(owners) == 1, f"{clause.id}: cites text found in {len(owners)} sentences"


def test_the_doc_table_lists_every_sentence_in_order():
    rows = doc_table()
    assert [r[1] for r in rows] == sentences(SOURCE_TEXT.read_text(encoding="utf-8"))
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))


def test_every_data_citation_is_verbatim():
    text = SOURCE_TEXT.read_text(encoding="utf-8")
    directory = load_data(RULES).directory
    for entry in (*directory.bodies, *directory.phases):
        if entry.source is not None:
            assert entry.source in text, entry


def test_every_data_predicate_is_declared_with_its_arity():
    declarations = program().declarations
    assert {p: declarations[p].arity for p in DATA_PREDICATES} == DATA_PREDICATES
    for predicate, rows in load_data(RULES).facts.items():
        assert predicate in declarations, predicate
        assert all(len(row) == declarations[predicate].arity for row in rows), predicate


# -- what the text says -----------------------------------------------------------------------


def test_regierungsrat(model):
    assert holds(model, "may", "regierungsrat", "approve", "strategie")
    assert holds(model, "competence", "regierungsrat", "approve", "budget")
    # "das Budget" covers the two budgets the Steuerungsausschuss requests from it
    assert holds(model, "may", "regierungsrat", "approve", "budget_impulsprogramm")
    assert holds(model, "may", "regierungsrat", "approve", "budget_kompetenzzentrum")
    assert holds(model, "delegates", "regierungsrat", "steuerungsausschuss", "implement", "strategie")


def test_only_the_regierungsrat_approves_the_strategy_and_the_budget(model):
    for obj in ("strategie", "budget", "budget_impulsprogramm", "budget_kompetenzzentrum"):
        assert column(model, "may", 0, a1="approve", a2=obj) == {"regierungsrat"}, obj


def test_steuerungsausschuss_implements_the_strategy_by_delegation(model):
    assert holds(model, "may", "steuerungsausschuss", "implement", "strategie")
    assert not holds(model, "competence", "steuerungsausschuss", "implement", "strategie")
    # the chain: the Steuerungsausschuss may, via the Regierungsrat, which may delegate it
    assert holds(model, "delegated_may", "steuerungsausschuss", "regierungsrat", "implement", "strategie")
    assert holds(model, "competence", "regierungsrat", "delegate", "umsetzung_strategie")
    # ... and does not keep it
    assert not holds(model, "may", "regierungsrat", "implement", "strategie")


def test_steuerungsausschuss_competences(model):
    assert holds(model, "may", "steuerungsausschuss", "define", "strategie")
    assert holds(model, "may", "steuerungsausschuss", "approve", "schwerpunktplanung")
    for budget in ("budget_impulsprogramm", "budget_kompetenzzentrum"):
        assert holds(model, "may", "steuerungsausschuss", "request", budget)
        assert holds(model, "submits_to", "steuerungsausschuss", "request", budget, "regierungsrat")
        assert not holds(model, "may", "steuerungsausschuss", "approve", budget)


def test_steuerungsausschuss_chair_is_departementschef_div_and_a_member(model):
    assert column(model, "chair", 1, a0="steuerungsausschuss") == {"departementschef_div"}
    assert holds(model, "member", "steuerungsausschuss", "departementschef_div")


def test_steuerungsausschuss_members(model):
    assert column(model, "member", 1, a0="steuerungsausschuss") == {
        "departementschef_div", "departementschef_dfs", "staatsschreiber",
        *(f"generalsekretaer_{d}" for d in DEPARTEMENTE),
        "amtschefin_personalamt", "amtschef_afi", "leitung_kompetenzzentrum",
    }


def test_all_five_generalsekretaere_are_members_of_the_steuerungsausschuss(model):
    generalsekretaere = {r for r, _, f in model["role_of"] if f == "generalsekretaer"}
    assert generalsekretaere == {f"generalsekretaer_{d}" for d in DEPARTEMENTE}
    assert generalsekretaere <= column(model, "member", 1, a0="steuerungsausschuss")


def test_planungsausschuss(model):
    assert holds(model, "may", "planungsausschuss", "prepare", "schwerpunktplanung")
    assert not holds(model, "may", "planungsausschuss", "approve", "schwerpunktplanung")
    assert holds(model, "may", "planungsausschuss", "prepare", "strategie")
    assert holds(model, "submits_to", "planungsausschuss", "prepare", "strategie", "steuerungsausschuss")
    assert holds(model, "may", "planungsausschuss", "identify", "bedarfe")
    assert holds(model, "may", "planungsausschuss", "identify", "departementsuebergreifende_projekte")
    dvs = {f"dv_{d}" for d in DEPARTEMENTE} | {"dv_staatskanzlei", "dv_gerichte"}
    assert column(model, "member", 1, a0="planungsausschuss") == dvs | {"leitung_kompetenzzentrum"}


def test_the_schwerpunktplanung_is_prepared_by_one_body_and_accepted_by_another(model):
    assert column(model, "may", 0, a1="prepare", a2="schwerpunktplanung") == {"planungsausschuss"}
    # the Steuerungsausschuss accepts it; its chair only when it acts for it alone (an interpretation)
    assert column(model, "may", 0, a1="approve", a2="schwerpunktplanung") == {"steuerungsausschuss"}
    chair = engine(interpretations=("vorsitz_handelt_allein",)).model
    assert column(chair, "may", 0, a1="approve", a2="schwerpunktplanung") == {
        "steuerungsausschuss", "departementschef_div"}


def test_kontaktgremium(model):
    assert holds(model, "may", "kontaktgremium", "coordinate", "gemeinsame_vorhaben")
    assert column(model, "partner", 1, a0="kontaktgremium") == {"vtg", "vtgs", "smarter_thurgau"}
    assert holds(model, "in_phase", "kontaktgremium", 2)


def test_kompetenzzentrum(model):
    for obj in ("strategie", "schwerpunktplanung"):
        assert holds(model, "competence", "kompetenzzentrum", "implement", obj)
    assert holds(model, "may", "kompetenzzentrum", "lead", "impulsprogramm")
    assert holds(model, "may", "kompetenzzentrum", "lead", "strategische_massnahmen")
    assert holds(model, "may", "kompetenzzentrum", "coordinate", "digitale_transformation")
    assert column(model, "acts_as", 1, a0="kompetenzzentrum") == {"hueter", "impulsgeber", "koordinator"}
    assert holds(model, "established", "kompetenzzentrum", datetime.date(2020, 12, 31))
    assert holds(model, "administratively_under", "kompetenzzentrum", "div")
    partners = column(model, "collaborates_with", 1, a0="kompetenzzentrum")
    assert {"amt_fuer_informatik", "personalamt", "dv_staatskanzlei", "dv_gerichte", "dv_dek"} <= partners


def test_konferenz(model):
    members = column(model, "member", 1, a0="konferenz")
    assert {"leitung_kompetenzzentrum", "projektleitung_kompetenzzentrum", "dv_dek"} <= members
    assert holds(model, "may", "konferenz", "coordinate", "laufende_projekte")
    assert holds(model, "may", "konferenz", "exchange", "erfahrungen")


def test_consumers(model):
    assert holds(model, "consumer", "bezirksamt_arbon")
    assert holds(model, "serves", "kompetenzzentrum", "bezirksamt_arbon")
    for outside in ("gemeinde_frauenfeld", "thurgauer_kantonalbank", "vtg", "vtgs", "smarter_thurgau"):
        assert not holds(model, "consumer", outside), outside
        assert not holds(model, "serves", "kompetenzzentrum", outside), outside
    for inside in (*DEPARTEMENTE, "staatskanzlei", "amt_fuer_informatik", "personalamt", "obergericht",
                   "verwaltungsgericht", "kantonsschule_frauenfeld", "musteranstalt", "musterbetrieb"):
        assert holds(model, "consumer", inside), inside
    assert column(model, "serves", 0) == {"kompetenzzentrum"}


def test_responsible_dv(model):
    assert column(model, "responsible", 0, a1="dek") == {"dv_dek"}
    assert column(model, "responsible", 0, a1="staatskanzlei") == {"dv_staatskanzlei"}
    assert column(model, "responsible", 0, a1="obergericht") == {"dv_gerichte"}
    # the area of a DV reaches the units below its own
    assert column(model, "responsible", 0, a1="kantonsschule_frauenfeld") == {"dv_dek"}
    assert not column(model, "responsible", 0, a1="gemeinde_frauenfeld")


def test_every_departement_staatskanzlei_and_the_courts_have_a_dv(model):
    assert not model["lacks_dv"]


# -- invariants --------------------------------------------------------------------------------


def test_invariants(model):
    assert model["chair"] <= model["member"]
    assert {(c,) for (c,) in model["consumer"]} <= model["in_administration"]
    assert {(u,) for _, u in model["serves"]} <= model["consumer"]
    assert {(r,) for _, r in model["member"]} <= model["role"] | {(u,) for _, u in model["partner"]}
    assert {(r,) for r, _ in model["responsible"]} <= model["dv"]
    assert {(h, a, o) for h, _, a, o in model["delegated_may"]} <= model["may"]
    assert {(b,) for b, *_ in model["competence"]} <= model["body"]
    assert {(r,) for r, _ in model["represents"]} <= model["role"]
    assert {(b,) for _, b in model["represents"]} <= model["body"]


# -- as-of questions -----------------------------------------------------------------------------

BEFORE = datetime.date(2020, 6, 30)
END_OF_2020 = datetime.date(2020, 12, 31)
AFTER = datetime.date(2021, 1, 1)


def as_of(day: datetime.date, interpretations: tuple[str, ...] = (), **extra_facts):
    """The model of the bundled policy as of ``day``: one as_of fact, as the API adds it."""
    return engine(interpretations=interpretations, as_of=[(day,)], **extra_facts).model


def test_without_as_of_nothing_is_inactive_and_the_model_is_timeless(model):
    assert not model["as_of"] and not model["dated"] and not model["inactive"]
    assert not model["exists_on"]
    assert holds(model, "may", "kompetenzzentrum", "implement", "strategie")
    assert holds(model, "may", "kontaktgremium", "coordinate", "gemeinsame_vorhaben")
    assert holds(model, "serves", "kompetenzzentrum", "bezirksamt_arbon")


def test_timeless_may_of_bodies_is_the_closure_of_competences_delegations_and_parts(model):
    """Without as_of, may/3 over bodies is exactly what it was before it became date-aware:
    competences, followed through delegations (from a delegator that may, or may delegate the
    task), to parts, and from all parts to a whole that is nothing but its parts."""
    expected = set(model["competence"])
    tasks = {(a, o): t for t, a, o in model["task"]}
    wholes = {w for (w,) in model["consists_of_parts"]}
    parts = {w: {p for p, whole in model["part_of"] if whole == w} for w in wholes}
    expected |= {(x, a, w) for w in wholes for x, a, _ in model["competence"]
                 if all((x, a, p) in model["competence"] for p in parts[w])}
    while True:
        more = {(x, a, o) for y, x, a, o in model["delegates"]
                if (y, a, o) in expected or (y, "delegate", tasks.get((a, o))) in expected}
        more |= {(x, a, p) for p, w in model["part_of"] for x, a, o in expected if o == w}
        if more <= expected:
            break
        expected |= more
    bodies = {b for (b,) in model["body"]}
    assert {row for row in model["may"] if row[0] in bodies} == expected
    assert model["serves"] == {(p, u) for (p,) in model["provider"] for (u,) in model["consumer"]}


def test_as_of_before_its_establishment_the_kompetenzzentrum_holds_no_competence():
    m = as_of(BEFORE)
    assert holds(m, "inactive", "kompetenzzentrum")
    assert not holds(m, "exists_on", "kompetenzzentrum", BEFORE)
    assert not column(m, "may", 1, a0="kompetenzzentrum")
    assert not m["serves"]
    assert holds(m, "competence", "kompetenzzentrum", "implement", "strategie")  # the text still says so
    # undated bodies of the first phase act on every date asked
    assert holds(m, "may", "steuerungsausschuss", "implement", "strategie")
    assert holds(m, "delegated_may", "steuerungsausschuss", "regierungsrat", "implement", "strategie")
    assert holds(m, "may", "regierungsrat", "approve", "budget")


def test_as_of_its_establishment_the_kompetenzzentrum_acts():
    for day in (END_OF_2020, AFTER):
        m = as_of(day)
        assert not holds(m, "inactive", "kompetenzzentrum"), day
        assert holds(m, "exists_on", "kompetenzzentrum", day)
        assert holds(m, "may", "kompetenzzentrum", "implement", "strategie"), day
        assert holds(m, "may", "kompetenzzentrum", "lead", "strategische_massnahmen"), day
        assert holds(m, "serves", "kompetenzzentrum", "bezirksamt_arbon"), day
        assert column(m, "serves", 1) == column(m, "consumer", 0)


def test_as_of_a_date_the_leitung_acts_for_the_kompetenzzentrum_only_once_it_exists():
    # the Leitung acting for the Kompetenzzentrum is the interpretation `vorsitz_handelt_allein`
    acting = ("vorsitz_handelt_allein",)
    assert not column(as_of(BEFORE, acting), "may", 1, a0="leitung_kompetenzzentrum")
    assert holds(as_of(AFTER, acting), "may", "leitung_kompetenzzentrum", "implement", "strategie")
    assert not column(as_of(AFTER), "may", 1, a0="leitung_kompetenzzentrum")  # by the text alone


def test_as_of_any_date_the_kontaktgremium_waits_for_the_second_phase():
    for day in (datetime.date(2000, 1, 1), AFTER, datetime.date(2030, 1, 1), datetime.date(2100, 1, 1)):
        m = as_of(day)
        assert holds(m, "inactive", "kontaktgremium"), day
        assert not column(m, "may", 1, a0="kontaktgremium"), day
    assert holds(engine().model, "may", "kontaktgremium", "coordinate", "gemeinsame_vorhaben")  # timeless


def test_once_the_second_phase_has_begun_the_kontaktgremium_acts():
    started = datetime.date(2025, 3, 1)
    m = as_of(datetime.date(2030, 1, 1), phase_started=[(2, started)])
    assert holds(m, "exists_on", "kontaktgremium", datetime.date(2030, 1, 1))
    assert holds(m, "may", "kontaktgremium", "coordinate", "gemeinsame_vorhaben")
    m = as_of(datetime.date(2024, 1, 1), phase_started=[(2, started)])
    assert holds(m, "inactive", "kontaktgremium")
    assert not holds(m, "may", "kontaktgremium", "coordinate", "gemeinsame_vorhaben")


def test_a_delegation_to_an_inactive_body_passes_nothing_on():
    m = as_of(BEFORE, delegates=[("steuerungsausschuss", "kompetenzzentrum", "implement", "strategie")])
    assert not holds(m, "delegated_may", "kompetenzzentrum", "steuerungsausschuss", "implement", "strategie")
    assert not holds(m, "may", "kompetenzzentrum", "implement", "strategie")


def test_the_second_phase_date_can_come_from_the_data():
    toml = bundled_text().replace("# started = YYYY-MM-DD", "started = 2025-03-01")
    assert toml != bundled_text()
    data = parse_data(toml, DATA_FILE)
    day = datetime.date(2026, 1, 1)
    m = Engine(program(), facts={**data.facts, "as_of": [(day,)]}).model
    assert holds(m, "exists_on", "kontaktgremium", day)
    assert holds(m, "may", "kontaktgremium", "coordinate", "gemeinsame_vorhaben")


# -- delegation ------------------------------------------------------------------------------------


def test_delegation_is_followed_transitively_and_explains_itself():
    m = engine(delegates=[("steuerungsausschuss", "planungsausschuss", "implement", "strategie")]).model
    assert holds(m, "may", "planungsausschuss", "implement", "strategie")
    assert holds(m, "delegated_may", "planungsausschuss", "steuerungsausschuss", "implement", "strategie")
    assert holds(m, "delegated_may", "steuerungsausschuss", "regierungsrat", "implement", "strategie")


def test_a_delegation_cycle_terminates():
    m = engine(delegates=[("steuerungsausschuss", "planungsausschuss", "implement", "strategie"),
                          ("planungsausschuss", "regierungsrat", "implement", "strategie")]).model
    assert holds(m, "delegated_may", "regierungsrat", "planungsausschuss", "implement", "strategie")


def test_a_delegation_passes_on_only_what_the_delegator_may_do():
    m = engine(delegates=[("konferenz", "planungsausschuss", "approve", "strategie")]).model
    assert not holds(m, "may", "planungsausschuss", "approve", "strategie")
    assert not m["delegated_may"] - {("steuerungsausschuss", "regierungsrat", "implement", "strategie")}


# -- data, not rules --------------------------------------------------------------------------------

SIXTH_DEPARTEMENT = """
[[units]]
id = "ddd"
kind = "departement"
name = "Departement für Digitales"
abbreviations = ["DDD"]

[[roles]]
id = "generalsekretaer_ddd"
unit = "ddd"
function = "generalsekretaer"
name = "Generalsekretär DDD"
"""

DV_DDD = """
[[roles]]
id = "dv_ddd"
unit = "ddd"
function = "digitalisierungsverantwortliche"
name = "Digitalisierungsverantwortliche/r DDD"
"""


def test_a_sixth_departement_joins_through_its_roles_without_a_rule_edited():
    m = engine(SIXTH_DEPARTEMENT + DV_DDD).model
    assert holds(m, "member", "steuerungsausschuss", "generalsekretaer_ddd")
    assert holds(m, "member", "planungsausschuss", "dv_ddd")
    assert holds(m, "member", "konferenz", "dv_ddd")
    assert holds(m, "responsible", "dv_ddd", "ddd")
    assert holds(m, "consumer", "ddd")
    assert holds(m, "collaborates_with", "kompetenzzentrum", "dv_ddd")
    assert not m["lacks_dv"]


def test_a_departement_without_a_dv_is_reported():
    m = engine(SIXTH_DEPARTEMENT).model
    assert m["lacks_dv"] == {("ddd",)}


def test_sub_units_of_consumers_are_consumers_only_inside_the_administration():
    m = engine("""
[[units]]
id = "abteilung_betrieb"
kind = "abteilung"
name = "Abteilung Betrieb"
parent = "amt_fuer_informatik"

[[units]]
id = "lose_abteilung"
kind = "abteilung"
name = "Abteilung ohne Einordnung"

[[units]]
id = "gebaeudeversicherung"
kind = "selbstaendige_anstalt"
name = "Gebäudeversicherung Thurgau"
parent = "dfs"

[[units]]
id = "firma"
kind = "unternehmen"
name = "Beispiel AG"
parent = "gebaeudeversicherung"
""").model
    assert holds(m, "consumer", "abteilung_betrieb")
    assert holds(m, "serves", "kompetenzzentrum", "abteilung_betrieb")
    assert holds(m, "responsible", "dv_dfs", "abteilung_betrieb")
    assert not holds(m, "consumer", "lose_abteilung")
    for outside in ("gebaeudeversicherung", "firma"):
        assert not holds(m, "consumer", outside)
        assert not column(m, "responsible", 0, a1=outside)


def test_a_unit_with_its_own_dv_leaves_its_parents_area():
    m = engine("""
[[roles]]
id = "dv_kantonsschule_frauenfeld"
unit = "kantonsschule_frauenfeld"
function = "digitalisierungsverantwortliche"
name = "Digitalisierungsverantwortliche/r Kantonsschule Frauenfeld"
""").model
    assert column(m, "responsible", 0, a1="kantonsschule_frauenfeld") == {"dv_kantonsschule_frauenfeld"}
    assert holds(m, "member", "planungsausschuss", "dv_kantonsschule_frauenfeld")
    assert holds(m, "responsible", "dv_dek", "dek")
    # a further DV is not one of "den Digitalisierungsverantwortlichen der Staatskanzlei, der
    # Departemente und einer Vertretung der Gerichte" the Kompetenzzentrum works with
    assert not holds(m, "collaborates_with", "kompetenzzentrum", "dv_kantonsschule_frauenfeld")


def test_amtsvertretungen_join_the_konferenz():
    m = engine("""
[[roles]]
id = "vertretung_afi"
unit = "amt_fuer_informatik"
function = "amtsvertretung"
name = "Amtsvertretung Amt für Informatik"
""").model
    assert holds(m, "member", "konferenz", "vertretung_afi")
    assert not holds(m, "member", "planungsausschuss", "vertretung_afi")


# -- a property: consumers over random unit trees ----------------------------------------------------

KINDS = ["departement", "amt", "abteilung", "gericht", "bezirksamt", "kantonale_schule", "gemeinde",
         "selbstaendige_anstalt", "verband", "unternehmen", "unselbstaendige_anstalt"]
CONSUMER_KINDS = {"departement", "staatskanzlei", "amt", "gericht", "gerichte", "unselbstaendige_anstalt",
                  "bezirksamt", "kantonale_schule", "kantonaler_betrieb"}
ADMINISTRATIVE = {"departement", "staatskanzlei", "amt", "abteilung", "gerichte", "gericht",
                  "unselbstaendige_anstalt", "bezirksamt", "kantonale_schule", "kantonaler_betrieb"}


@st.composite
def unit_trees(draw):
    n = draw(st.integers(1, 8))
    units = []
    for i in range(n):
        kind = draw(st.sampled_from(KINDS))
        parent = draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None
        units.append((f"x{i}", kind, None if parent is None else f"x{parent}"))
    return units


@settings(max_examples=40, deadline=None)
@given(unit_trees())
def test_consumers_over_random_unit_trees(units):
    toml = "".join(
        f'\n[[units]]\nid = "{u}"\nkind = "{k}"\nname = "Einheit {u}"\n' + (f'parent = "{p}"\n' if p else "")
        for u, k, p in units)
    m = engine(toml).model
    expected: set[str] = set()
    for u, k, p in units:  # parents come first
        if k in ADMINISTRATIVE and (k in CONSUMER_KINDS or p in expected):
            expected.add(u)
    assert {u for (u,) in m["consumer"] if u.startswith("x")} == expected
