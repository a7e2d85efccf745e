"""A seeded generator of synthetic cantonal organisations, written as policy directories.

    python -m benchmarks.generate --scale medium --seed 1 OUT_DIR

``generate(scale, seed, out)`` writes a policy directory that ``kdv_policy.Policy.load`` loads
(and ``python -m kdv_policy check`` passes without errors or warnings):

    out/organisation.dl   the data predicates, in_administration/1
    out/bodies.dl         member/2 (facts, and a rule seating a function of a unit kind), chair/2
    out/delegation.dl     competence/3, delegates/4, delegated_may/4, may/3 (bodies), acting/1
    out/people.dl         person/1, assignment/4, represents/2 (the chair), holds_role/2, may/3 of
                          roles and persons
    out/services.dl       consumer_kind/1, consumer/1 (over kinds and sub-units), provider/1,
                          provides_for/2, serves_within/2, serves/2
    out/organisation.toml units, roles, bodies, actions, objects (kdv_policy.data's schema)
    out/people.toml       persons and the roles they hold

The rules are generic and written in the bundled policy's style: every clause has an ``@id``
and an ``@source`` quoting a short synthetic sentence of a made-up governance text. What the
scales hold (``SCALES``):

* a unit tree of depth 4: Departemente, a Staatskanzlei, a court group and Gemeinden at the
  top; Ämter, Fachstellen, schools, Anstalten and Betriebe below; Abteilungen and Sektionen
  under them. Some kinds are outside the administration, some administrative kinds are not
  consumer kinds (their units are consumers only under a consumer parent);
* roles: a Leitung and a Mitarbeit role in every unit, a Stellvertretung in the top two
  levels, a Digitalisierungsverantwortliche/r in every top-level administrative unit;
* persons holding 1-3 roles (every Leitung, Stellvertretung and DV role has a holder);
* bodies with 3-12 member roles and one chair; two of the top bodies seat a function of the
  Departemente by rule (the heads, the DVs) rather than by listed facts; a few bodies are of
  the second phase and do not act;
* ~20 (action, object) competences on each top body, a few on other bodies; delegation from
  body to body along chains of depth up to 5 (acyclic; some bodies have two delegators), each
  passing on some of what the delegator may and, now and then, something it may not (which
  must not pass);
* a central service provider serving every consumer, and specialist providers serving
  consumer kinds and their sub-units.

The questions (``make_questions``) need the ground truth, which
:mod:`benchmarks.systems.floor` computes from the written files.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Scale:
    name: str
    persons: int
    units: int
    bodies: int
    top_bodies: int  # bodies holding ~20 competences each, the roots of delegation
    objects: int
    departements: int
    gemeinden: int
    specialists: int  # specialist service providers, besides the central one


SCALES: dict[str, Scale] = {
    "small": Scale("small", persons=50, units=20, bodies=10, top_bodies=2, objects=12,
                   departements=2, gemeinden=1, specialists=1),
    "medium": Scale("medium", persons=1_000, units=200, bodies=50, top_bodies=4, objects=40,
                    departements=5, gemeinden=3, specialists=2),
    "large": Scale("large", persons=10_000, units=2_000, bodies=300, top_bodies=12, objects=120,
                   departements=9, gemeinden=15, specialists=4),
}



def scaled(persons: int) -> Scale:
    """A canton of ``persons`` persons shaped like ``large`` (10,000 persons): units, roles and
    bodies in proportion, objects and departements growing with the square root, for the
    scaling runs (``python -m benchmarks --scaling``)."""
    f = persons / SCALES["large"].persons
    root = f ** 0.5
    return Scale(f"{persons}p", persons=persons, units=max(20, round(2_000 * f)),
                 bodies=max(10, round(300 * f)), top_bodies=max(2, round(12 * f)),
                 objects=max(12, round(120 * root)),
                 departements=max(2, round(9 * root)), gemeinden=max(1, round(15 * f)),
                 specialists=max(1, round(4 * root)))


COMPETENCES_PER_TOP_BODY = 20
MAX_DELEGATION_DEPTH = 5

# -- the vocabulary of the synthetic canton ------------------------------------------------------

# id, name, administration, consumer kind
UNIT_KINDS: tuple[tuple[str, str, bool, bool], ...] = (
    ("departement", "Departement", True, False),
    ("staatskanzlei", "Staatskanzlei", True, True),
    ("gerichte", "Gerichte", True, True),
    ("gericht", "Gericht", True, True),
    ("amt", "Amt", True, True),
    ("fachstelle", "Fachstelle", True, False),
    ("dienstleister", "Dienstleister", True, False),
    ("kantonale_schule", "Kantonale Schule", True, True),
    ("unselbstaendige_anstalt", "Unselbständige Anstalt", True, True),
    ("kantonaler_betrieb", "Kantonaler Betrieb", True, True),
    ("abteilung", "Abteilung", True, False),
    ("sektion", "Sektion", True, False),
    ("selbstaendige_anstalt", "Selbständige Anstalt", False, False),
    ("gemeinde", "Gemeinde", False, False),
    ("gemeindeverwaltung", "Gemeindeverwaltung", False, False),
    ("verein", "Verein", False, False),
)
KIND_NAME = {k: name for k, name, _, _ in UNIT_KINDS}
ADMINISTRATIVE = {k for k, _, admin, _ in UNIT_KINDS if admin}
CONSUMER_KINDS = tuple(k for k, _, _, consumer in UNIT_KINDS if consumer)
SPECIALIST_KINDS = ("kantonale_schule", "gericht", "kantonaler_betrieb", "unselbstaendige_anstalt", "amt")

# the kinds of the sub-units of a unit of a kind, with weights
CHILD_KINDS: dict[str, tuple[tuple[str, int], ...]] = {
    "departement": (("amt", 50), ("fachstelle", 15), ("kantonale_schule", 10),
                    ("unselbstaendige_anstalt", 10), ("selbstaendige_anstalt", 10),
                    ("kantonaler_betrieb", 5)),
    "staatskanzlei": (("amt", 70), ("fachstelle", 30)),
    "gerichte": (("gericht", 100),),
    "gemeinde": (("gemeindeverwaltung", 70), ("verein", 30)),
    "level3": (("abteilung", 80), ("kantonaler_betrieb", 6), ("selbstaendige_anstalt", 6),
               ("unselbstaendige_anstalt", 8)),
    "level4": (("sektion", 85), ("kantonale_schule", 8), ("selbstaendige_anstalt", 7)),
    "outside": (("verein", 60), ("abteilung", 40)),  # under a unit outside the administration
}

FUNCTIONS = (
    ("leitung", "Leitung"),
    ("stellvertretung", "Stellvertretung"),
    ("digitalisierungsverantwortliche", "Digitalisierungsverantwortliche/r"),
    ("mitarbeit", "Mitarbeit"),
)
KEY_FUNCTIONS = ("leitung", "stellvertretung", "digitalisierungsverantwortliche")

ACTIONS = (
    ("approve", "genehmigen", ("verabschieden", "freigeben")),
    ("define", "definieren", ()),
    ("prepare", "erarbeiten", ("vorbereiten",)),
    ("request", "beantragen", ()),
    ("implement", "umsetzen", ()),
    ("lead", "leiten", ()),
    ("coordinate", "koordinieren", ("abstimmen",)),
    ("identify", "identifizieren", ()),
    ("exchange", "austauschen", ()),
    ("review", "prüfen", ("begutachten",)),
)
VERB_3SG = {"approve": "genehmigt", "define": "definiert", "prepare": "erarbeitet", "request": "beantragt",
            "implement": "setzt um", "lead": "leitet", "coordinate": "koordiniert",
            "identify": "identifiziert", "exchange": "tauscht aus", "review": "prüft"}
OBJECT_NOUNS = ("Strategie", "Budget", "Schwerpunktplanung", "Projektportfolio", "Architekturrichtlinie",
                "Datenschutzkonzept", "Beschaffungsplan", "Massnahmenplan", "Informatikstrategie",
                "Servicekatalog", "Sicherheitskonzept", "Schulungsprogramm")
BODY_KINDS = ("Rat", "Ausschuss", "Kommission", "Fachgruppe", "Arbeitsgruppe", "Konferenz", "Lenkungsgremium")
FIRST_NAMES = ("Anna", "Beat", "Claudia", "Daniel", "Eva", "Fritz", "Gabi", "Hans", "Ines", "Jonas", "Karin",
               "Luca", "Marta", "Nico", "Olga", "Peter", "Rita", "Stefan", "Tanja", "Urs", "Vera", "Walter")
LAST_NAMES = ("Ammann", "Brunner", "Egli", "Frei", "Gerber", "Huber", "Keller", "Lüthi", "Meier", "Müller",
              "Schmid", "Steiner", "Suter", "Vogel", "Weber", "Wyss", "Zbinden", "Zürcher")


# -- the organisation in memory -------------------------------------------------------------------


@dataclass
class Unit:
    id: str
    kind: str
    name: str
    level: int
    parent: str | None = None


@dataclass
class Role:
    id: str
    unit: str
    function: str
    name: str


@dataclass
class Body:
    id: str
    name: str
    phase: int = 1
    members: list[str] = field(default_factory=list)  # listed member roles (member/2 facts)
    seats: list[tuple[str, str]] = field(default_factory=list)  # (function, unit kind) seated by rule
    chair: str = ""
    competences: list[tuple[str, str]] = field(default_factory=list)
    depth: int = 0  # 0: a top body


@dataclass
class Person:
    id: str
    name: str
    roles: list[tuple[str, datetime.date, datetime.date | None]]


@dataclass
class Organisation:
    scale: Scale
    seed: int
    units: list[Unit]
    roles: list[Role]
    bodies: list[Body]
    persons: list[Person]
    objects: list[tuple[str, str]]
    delegations: list[tuple[str, str, str, str]]  # (delegator, delegate, action, object)
    central_provider: str
    specialists: dict[str, tuple[str, ...]]  # provider unit -> the kinds it serves


def build(scale: Scale, seed: int = 1) -> Organisation:
    """The synthetic organisation of a scale, the same for the same seed."""
    rng = random.Random(f"kdv-bench/{scale.name}/{seed}")
    units = _units(scale, rng)
    roles = _roles(units)
    persons = _persons(scale, roles, rng)
    objects = [(f"o{i:03d}", f"{OBJECT_NOUNS[i % len(OBJECT_NOUNS)]} {i:03d}")
               for i in range(1, scale.objects + 1)]
    bodies, delegations = _bodies(scale, units, roles, objects, rng)
    providers = [u for u in units if u.kind == "dienstleister"]
    specialists = {}
    for provider in providers[1:]:
        specialists[provider.id] = tuple(sorted(rng.sample(SPECIALIST_KINDS, rng.choice((1, 1, 2)))))
    return Organisation(scale, seed, units, roles, bodies, persons, objects, delegations, providers[0].id,
                        specialists)


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _units(scale: Scale, rng: random.Random) -> list[Unit]:
    units: list[Unit] = []

    def add(kind: str, level: int, parent: str | None) -> Unit:
        number = len(units) + 1
        unit = Unit(f"u{number:04d}", kind, f"{KIND_NAME[kind]} {number}", level, parent)
        units.append(unit)
        return unit

    departements = [add("departement", 1, None) for _ in range(scale.departements)]
    add("staatskanzlei", 1, None)
    add("gerichte", 1, None)
    for _ in range(scale.gemeinden):
        add("gemeinde", 1, None)
    top = list(units)
    for i in range(1 + scale.specialists):  # the service providers sit in the Departemente
        add("dienstleister", 2, departements[i % len(departements)].id)
    rest = scale.units - len(units)
    per_level = {2: round(rest * 0.25), 3: round(rest * 0.35)}
    per_level[4] = rest - per_level[2] - per_level[3]
    # every top unit gets a sub-unit before the rest are spread at random
    below: list[Unit] = []
    for level in (2, 3, 4):
        parents = top if level == 2 else below
        made: list[Unit] = []
        for i in range(per_level[level]):
            parent = parents[i] if i < len(parents) and level == 2 else rng.choice(parents)
            if level == 2:
                kind = _weighted(rng, CHILD_KINDS[parent.kind])
            elif parent.kind not in ADMINISTRATIVE:
                kind = _weighted(rng, CHILD_KINDS["outside"])
            else:
                kind = _weighted(rng, CHILD_KINDS["level3" if level == 3 else "level4"])
            made.append(add(kind, level, parent.id))
        below = made
    return units


def _roles(units: list[Unit]) -> list[Role]:
    roles: list[Role] = []
    for u in units:
        functions = ["leitung", "mitarbeit"]
        if u.level <= 2:
            functions.append("stellvertretung")
        if u.level == 1 and u.kind in ADMINISTRATIVE:
            functions.append("digitalisierungsverantwortliche")
        for f in functions:
            short = {"leitung": "leitung", "mitarbeit": "ma", "stellvertretung": "stv",
                     "digitalisierungsverantwortliche": "dv"}[f]
            roles.append(Role(f"r_{u.id}_{short}", u.id, f, f"{dict(FUNCTIONS)[f]} {u.name}"))
    return roles


def _persons(scale: Scale, roles: list[Role], rng: random.Random) -> list[Person]:
    key = [r.id for r in roles if r.function in KEY_FUNCTIONS]
    staff = [r.id for r in roles if r.function == "mitarbeit"]
    persons: list[Person] = []
    seen_names: dict[str, int] = {}
    start = datetime.date(2010, 1, 1)
    for i in range(scale.persons):
        count = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
        held = [key[i] if i < len(key) else rng.choice(staff)]
        while len(held) < count:
            extra = rng.choice(staff) if rng.random() < 0.75 else rng.choice(key)
            if extra not in held:
                held.append(extra)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        seen_names[name] = seen_names.get(name, 0) + 1
        if seen_names[name] > 1:
            name = f"{name} ({seen_names[name]})"
        assignments = []
        for role in held:
            begin = start + datetime.timedelta(days=rng.randrange(0, 5000))
            until = begin + datetime.timedelta(days=rng.randrange(30, 3000)) if rng.random() < 0.25 else None
            assignments.append((role, begin, until))
        persons.append(Person(f"p{i + 1:05d}", name, assignments))
    return persons


def _bodies(scale: Scale, units: list[Unit], roles: list[Role], objects: list[tuple[str, str]],
            rng: random.Random) -> tuple[list[Body], list[tuple[str, str, str, str]]]:
    by_function: dict[str, list[Role]] = {}
    for r in roles:
        by_function.setdefault(r.function, []).append(r)
    key_roles = [r.id for f in KEY_FUNCTIONS for r in by_function.get(f, [])]
    staff_roles = [r.id for r in by_function["mitarbeit"]]
    unit_of = {u.id: u for u in units}
    seated = {  # (function, unit kind) -> the roles a seat rule gives
        (f, "departement"): [r.id for r in by_function[f] if unit_of[r.unit].kind == "departement"]
        for f in ("leitung", "digitalisierungsverantwortliche")
    }
    kanzlei = next(u.id for u in units if u.kind == "staatskanzlei")
    bodies: list[Body] = []
    for i in range(scale.bodies):
        kind = "Rat" if i == 0 else BODY_KINDS[1 + i % (len(BODY_KINDS) - 1)]
        body = Body(f"g{i + 1:03d}", f"{kind} {i + 1}")
        seats: list[tuple[str, str]] = []
        if i == 0:
            seats = [("leitung", "departement")]
        elif i == 1:
            seats = [("digitalisierungsverantwortliche", "departement")]
        body.seats = seats
        by_rule = [r for s in seats for r in seated[s]]
        size = rng.randint(3, 12)
        if by_rule:
            listed = [f"r_{kanzlei}_leitung" if i == 0 else f"r_{kanzlei}_dv"]
            while len(set(by_rule) | set(listed)) < min(size, len(by_rule) + 2):
                listed.append(rng.choice(key_roles))
            body.members = list(dict.fromkeys(listed))
            body.chair = rng.choice(by_rule)
        else:
            pool = set()
            while len(pool) < size:
                pool.add(rng.choice(key_roles) if rng.random() < 0.8 else rng.choice(staff_roles))
            members = sorted(pool)
            rng.shuffle(members)
            body.chair = members[0]
            # the chair is a member by rule; half of the bodies also list it
            body.members = members if rng.random() < 0.5 else members[1:]
        bodies.append(body)

    pairs = [(a, o) for a, _, _ in ACTIONS for o, _ in objects]
    top = bodies[: scale.top_bodies]
    for body in top:
        body.competences = rng.sample(pairs, COMPETENCES_PER_TOP_BODY)
    others = bodies[scale.top_bodies:]
    # a few bodies of the second phase: they do not act yet (and pass nothing on)
    for body in rng.sample(others, max(1, len(others) // 20)):
        body.phase = 2
    for body in others:
        if rng.random() < 0.2:
            body.competences = rng.sample(pairs, rng.randint(1, 3))
    # delegation depth: spread the other bodies over depths 1..5, every depth used when possible
    for n, body in enumerate(others):
        body.depth = 1 + n % MAX_DELEGATION_DEPTH if n < MAX_DELEGATION_DEPTH else rng.randint(1, 5)
    at_depth: dict[int, list[Body]] = {}
    for body in bodies:
        at_depth.setdefault(body.depth, []).append(body)
    may = {b.id: set(b.competences) if b.phase == 1 else set() for b in bodies}
    delegations: list[tuple[str, str, str, str]] = []
    for depth in range(1, MAX_DELEGATION_DEPTH + 1):
        for body in at_depth.get(depth, []):
            if rng.random() < 0.1:
                continue  # an advisory body: nobody delegates to it
            delegators = [rng.choice(at_depth[depth - 1])]
            if rng.random() < 0.2:
                lower = [b for d in range(depth) for b in at_depth[d] if b is not delegators[0]]
                if lower:
                    delegators.append(rng.choice(lower))
            for delegator in delegators:
                held = sorted(may[delegator.id])
                passed = rng.sample(held, min(len(held), rng.randint(2, 6)))
                if rng.random() < 0.3 or not passed:  # something the delegator may not: it must not pass
                    stray = rng.choice(pairs)
                    if stray not in may[delegator.id]:
                        passed.append(stray)
                for action, obj in passed:
                    delegations.append((delegator.id, body.id, action, obj))
                    if body.phase == 1 and (action, obj) in may[delegator.id]:
                        may[body.id].add((action, obj))
    return bodies, delegations


# -- writing the policy directory ------------------------------------------------------------------


def _q(text: str) -> str:
    """A TOML basic string, or a quoted string of the rule language (both read `\\"` and `\\\\`)."""
    return json.dumps(text, ensure_ascii=False)


def _clause(ident: str, source: str, text: str) -> str:
    return f"@id({ident}) @source({_q(source)})\n{text}\n"


HEADER = ("% A SYNTHETIC policy for benchmarks, written by benchmarks/generate.py\n"
          "% (scale {scale}, seed {seed}). The organisation and every quoted sentence are made up;\n"
          "% no rule here is the Kanton Thurgau's.\n\n")


def write(org: Organisation, out: str | Path) -> Path:
    """Write the organisation as a policy directory at ``out`` (created; files overwritten)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    header = HEADER.format(scale=org.scale.name, seed=org.seed)
    files = {
        "organisation.dl": header + _organisation_dl(),
        "bodies.dl": header + _bodies_dl(org),
        "delegation.dl": header + _delegation_dl(org),
        "people.dl": header + _people_dl(),
        "services.dl": header + _services_dl(org),
        "organisation.toml": _organisation_toml(org),
        "people.toml": _people_toml(org),
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return out


def _organisation_dl() -> str:
    return """\
%% An organisational unit of the directory (organisation.toml [[units]]).
.decl unit(unit)

%% `Unit` is of kind `Kind`.
.decl unit_kind(unit, kind)

%% `Unit` is a sub-unit of `Parent`.
.decl parent(unit, parent)

%% Units of kind `Kind` belong to the cantonal administration.
.decl administrative_kind(kind)

%% A role (position) of the directory.
.decl role(role)

%% `Role` is held in `Unit` and has the function `Function`.
.decl role_of(role, unit, function)

%% A body (Gremium) of the governance.
.decl body(body)

%% `Body` belongs to phase `Phase` of the build-up.
.decl in_phase(body, phase)

%% `Unit` belongs to the cantonal administration: its kind is an administrative kind.
.decl in_administration(unit)

@id(in_verwaltung)
@source("Zur kantonalen Verwaltung gehören die Einheiten der Verwaltungsarten.")
in_administration(U) :- unit(U), unit_kind(U, K), administrative_kind(K).
"""


def _bodies_dl(org: Organisation) -> str:
    parts = ["""\
%% `Role` is a member of `Body`. A chair is a member.
.decl member(body, role)

%% `Role` chairs `Body` (Vorsitz).
.decl chair(body, role)

%% `Body` seats every role with the function `Function` in a unit of kind `Kind`.
.decl seat(body, function, kind)

@id(vorsitz_ist_mitglied)
@source("Der Vorsitz ist Mitglied des Gremiums.")
member(B, R) :- chair(B, R).

@id(sitz_nach_funktion)
@source("Einem Gremium gehören die Inhaber der Funktionen an, die es nach Einheitsart vereint.")
member(B, R) :- seat(B, F, K), role_of(R, U, F), unit_kind(U, K).
"""]
    role_name = {r.id: r.name for r in org.roles}
    for body in org.bodies:
        parts.append(f"\n% -- {body.name} --\n")
        for function, kind in body.seats:
            parts.append(_clause(f"sitz_{body.id}_{function}_{kind}",
                                 f"Dem Gremium {body.name} gehören alle {dict(FUNCTIONS)[function]} der "
                                 f"Einheiten der Art {KIND_NAME[kind]} an.",
                                 f"seat({body.id}, {function}, {kind})."))
        parts.append(_clause(f"vorsitz_{body.id}",
                             f"Den Vorsitz des Gremiums {body.name} führt die {role_name[body.chair]}.",
                             f"chair({body.id}, {body.chair})."))
        for role in body.members:
            parts.append(_clause(f"mitglied_{body.id}_{role}",
                                 f"Dem Gremium {body.name} gehört die {role_name[role]} an.",
                                 f"member({body.id}, {role})."))
    return "".join(parts)


def _delegation_dl(org: Organisation) -> str:
    parts = ["""\
%% `Body` holds the competence to do `Action` with `Object`, as the text states it.
.decl competence(body, action, object)

%% `Delegator` delegates doing `Action` with `Object` to `Delegate`.
.decl delegates(delegator, delegate, action, object)

%% `Holder` may do `Action` with `Object` because `Via` delegated it and `Via` may do it itself.
.decl delegated_may(holder, via, action, object)

%% `Actor` (a body, role or person) may do `Action` with `Object`.
.decl may(actor, action, object)

%% `Body` acts: it belongs to the first phase of the build-up.
.decl acting(body)

@id(gremium_handelt)
@source("Die Gremien der ersten Phase nehmen ihre Aufgaben sofort wahr.")
acting(B) :- body(B), in_phase(B, 1).

@id(darf_aus_kompetenz)
@source("Ein Gremium nimmt die Aufgaben wahr, die ihm zugewiesen sind.")
may(X, A, O) :- competence(X, A, O), acting(X).

@id(delegation_schritt)
@source("Ein Gremium kann eine Aufgabe, die es selbst wahrnehmen darf, an ein anderes Gremium delegieren.")
delegated_may(X, Y, A, O) :- delegates(Y, X, A, O), may(Y, A, O), acting(X).

@id(darf_aus_delegation)
@source("Ein Gremium kann eine Aufgabe, die es selbst wahrnehmen darf, an ein anderes Gremium delegieren.")
may(X, A, O) :- delegated_may(X, _Via, A, O).
"""]
    objects = dict(org.objects)
    names = {b.id: b.name for b in org.bodies}
    for body in org.bodies:
        for action, obj in body.competences:
            parts.append(_clause(f"kompetenz_{body.id}_{action}_{obj}",
                                 f"Das Gremium {body.name} {VERB_3SG[action]} {objects[obj]}.",
                                 f"competence({body.id}, {action}, {obj})."))
    parts.append("\n")
    for delegator, delegate, action, obj in org.delegations:
        parts.append(_clause(f"delegation_{delegator}_{delegate}_{action}_{obj}",
                             f"Das Gremium {names[delegator]} delegiert an das Gremium {names[delegate]}: "
                             f"{action} {objects[obj]}.",
                             f"delegates({delegator}, {delegate}, {action}, {obj})."))
    return "".join(parts)


def _people_dl() -> str:
    return """\
%% A person of the people file.
.decl person(person)

%% `Person` holds `Role` from `From` to `Until`.
.decl assignment(person, role, from, until)

%% `Role` acts for `Body` alone: the chair represents its body.
.decl represents(role, body)

%% `Person` holds `Role`.
.decl holds_role(person, role)

@id(vorsitz_vertritt_gremium)
@source("Der Vorsitz vertritt das Gremium und handelt für es.")
represents(R, B) :- chair(B, R).

@id(darf_als_vertretung)
@source("Der Vorsitz vertritt das Gremium und handelt für es.")
may(R, A, O) :- represents(R, B), may(B, A, O).

@id(rolle_inne)
@source("Wer eine Funktion innehat, handelt in ihr.")
holds_role(P, R) :- person(P), assignment(P, R, _From, _Until), role(R).

@id(darf_als_person)
@source("Wer eine Funktion innehat, handelt in ihr.")
may(P, A, O) :- holds_role(P, R), may(R, A, O).
"""


def _services_dl(org: Organisation) -> str:
    parts = ["""\
%% Units of kind `Kind` are consumers (Leistungsbezüger) of the services.
.decl consumer_kind(kind)

%% `Unit` is a consumer of the services.
.decl consumer(unit)

%% `Provider` provides services to every consumer.
.decl provider(provider)

%% `Provider` provides services to the consumers of kind `Kind` and their sub-units.
.decl provides_for(provider, kind)

%% `Provider` serves `Unit` as a specialist: `Unit` or a unit above it is of a kind it provides for.
.decl serves_within(provider, unit)

%% `Provider` serves `Unit`.
.decl serves(provider, unit)

@id(bezueger_nach_art)
@source("Die Verwaltungseinheiten der genannten Arten sind Leistungsbezüger.")
consumer(U) :- unit_kind(U, K), consumer_kind(K), in_administration(U).

@id(bezueger_unterstellte_einheit)
@source("Eine Verwaltungseinheit unter einem Leistungsbezüger ist selbst Leistungsbezüger.")
consumer(U) :- parent(U, P), consumer(P), in_administration(U).

@id(dienstleister_bedient_bezueger)
@source("Der zentrale Dienstleister erbringt Leistungen für alle Leistungsbezüger.")
serves(P, U) :- provider(P), consumer(U).

@id(fachdienst_nach_art)
@source("Ein Fachdienstleister bedient die Leistungsbezüger seiner Arten und deren Einheiten.")
serves_within(P, U) :- provides_for(P, K), unit_kind(U, K), consumer(U).

@id(fachdienst_unterstellte_einheit)
@source("Ein Fachdienstleister bedient die Leistungsbezüger seiner Arten und deren Einheiten.")
serves_within(P, U) :- parent(U, Q), serves_within(P, Q), consumer(U).

@id(fachdienst_bedient)
@source("Ein Fachdienstleister bedient die Leistungsbezüger seiner Arten und deren Einheiten.")
serves(P, U) :- serves_within(P, U).
"""]
    for kind in CONSUMER_KINDS:
        parts.append(_clause(f"bezueger_{kind}",
                             f"Die Einheiten der Art {KIND_NAME[kind]} sind Leistungsbezüger.",
                             f"consumer_kind({kind})."))
    parts.append(_clause(f"zentraler_dienstleister_{org.central_provider}",
                         "Der zentrale Dienstleister erbringt Leistungen für alle Leistungsbezüger.",
                         f"provider({org.central_provider})."))
    for provider, kinds in org.specialists.items():
        for kind in kinds:
            parts.append(_clause(f"fachdienst_{provider}_{kind}",
                                 f"Der Fachdienstleister {provider} bedient die Einheiten der Art "
                                 f"{KIND_NAME[kind]}.", f"provides_for({provider}, {kind})."))
    return "".join(parts)


def _organisation_toml(org: Organisation) -> str:
    lines = [f"# A SYNTHETIC organisation directory (benchmarks/generate.py, scale {org.scale.name}, "
             f"seed {org.seed}). Every entry is made up.", ""]
    for kind, name, admin, _ in UNIT_KINDS:
        lines += ["[[unit_kinds]]", f"id = {_q(kind)}", f"name = {_q(name)}",
                  f"administration = {'true' if admin else 'false'}", ""]
    for fid, name in FUNCTIONS:
        lines += ["[[functions]]", f"id = {_q(fid)}", f"name = {_q(name)}", ""]
    lines += ["[[phases]]", "number = 1", 'name = "Erste Phase"', "",
              "[[phases]]", "number = 2", 'name = "Zweite Phase"', ""]
    for u in org.units:
        lines += ["[[units]]", f"id = {_q(u.id)}", f"kind = {_q(u.kind)}", f"name = {_q(u.name)}"]
        if u.parent:
            lines.append(f"parent = {_q(u.parent)}")
        lines.append("")
    for r in org.roles:
        lines += ["[[roles]]", f"id = {_q(r.id)}", f"unit = {_q(r.unit)}", f"function = {_q(r.function)}",
                  f"name = {_q(r.name)}", ""]
    for b in org.bodies:
        lines += ["[[bodies]]", f"id = {_q(b.id)}", f"name = {_q(b.name)}"]
        if b.phase != 1:
            lines.append(f"phase = {b.phase}")
        lines.append("")
    for aid, name, aliases in ACTIONS:
        lines += ["[[actions]]", f"id = {_q(aid)}", f"name = {_q(name)}"]
        if aliases:
            lines.append(f"aliases = [{', '.join(_q(a) for a in aliases)}]")
        lines.append("")
    for oid, name in org.objects:
        lines += ["[[objects]]", f"id = {_q(oid)}", f"name = {_q(name)}", ""]
    return "\n".join(lines)


def _people_toml(org: Organisation) -> str:
    lines = [f"# SYNTHETIC persons (benchmarks/generate.py, scale {org.scale.name}, seed {org.seed}).", ""]
    for p in org.persons:
        lines += ["[[persons]]", f"id = {_q(p.id)}", f"name = {_q(p.name)}", ""]
        for role, begin, until in p.roles:
            lines += ["[[persons.roles]]", f"role = {_q(role)}", f"from = {begin.isoformat()}"]
            if until is not None:
                lines.append(f"until = {until.isoformat()}")
            lines.append("")
    return "\n".join(lines)


def generate(scale: Scale | str, seed: int = 1, out: str | Path = ".") -> Path:
    """Build the organisation of ``scale`` and write it as a policy directory at ``out``."""
    scale = SCALES[scale] if isinstance(scale, str) else scale
    return write(build(scale, seed), out)


# -- questions ------------------------------------------------------------------------------------

QUESTION_COUNTS = {"may": 2_000, "who_serves": 200, "who_may": 50}


@dataclass(frozen=True)
class Questions:
    may: tuple[tuple[str, str, str], ...]
    who_serves: tuple[tuple[str], ...]
    who_may: tuple[tuple[str, str], ...]
    mix: tuple[tuple[str, tuple[str, ...]], ...]  # every question once, shuffled: (kind, args)
    # per kind, questions asked once each, none of them in the mix: the distinct-question mode
    distinct: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    def by_kind(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        return {"may": self.may, "who_serves": self.who_serves, "who_may": self.who_may}

    def to_json(self) -> dict:
        return {"may": self.may, "who_serves": self.who_serves, "who_may": self.who_may, "mix": self.mix,
                "distinct": self.distinct}

    @classmethod
    def from_json(cls, data: dict) -> Questions:
        def rows(key: str) -> tuple:
            return tuple(tuple(r) for r in data[key])
        distinct = {k: tuple(tuple(a) for a in v) for k, v in data.get("distinct", {}).items()}
        return cls(rows("may"), rows("who_serves"), rows("who_may"),
                   tuple((k, tuple(a)) for k, a in data["mix"]), distinct)


def make_questions(truth, seed: int = 1, counts: dict[str, int] | None = None) -> Questions:
    """The questions of a benchmark run, from the ground truth (:class:`benchmarks.systems.floor.Truth`).

    ``may``: half allowed (stratified over persons, roles and bodies), half denied: near misses
    (a member that does not chair, a delegation of something the delegator may not, another
    action on an object the actor may act on) and random triples. ``who_serves``: every kind of
    unit (consumers and not). ``who_may``: mostly pairs somebody holds, some nobody holds.
    Distinct where the organisation has enough distinct questions; small scales repeat some.
    """
    counts = {**QUESTION_COUNTS, **(counts or {})}
    rng = random.Random(f"kdv-bench/questions/{seed}")
    n_may = counts["may"]
    allowed = sorted(truth.may)
    by_kind: dict[str, list[tuple[str, str, str]]] = {"person": [], "role": [], "body": []}
    for row in allowed:
        by_kind[truth.kind_of[row[0]]].append(row)
    yes = _stratified(rng, by_kind, {"person": 0.5, "role": 0.25, "body": 0.25}, n_may // 2)
    no = _denied(rng, truth, n_may - len(yes))
    may = yes + no
    rng.shuffle(may)

    units = sorted(truth.units)
    serving = [u for u in units if truth.serves.get(u)]
    others = [u for u in units if not truth.serves.get(u)]
    who_serves = _sample(rng, serving, counts["who_serves"] * 3 // 4)
    who_serves += _sample(rng, others, counts["who_serves"] - len(who_serves))
    rng.shuffle(who_serves)

    held = sorted(truth.who_may)
    unheld = sorted({(a, o) for a in truth.actions for o in truth.objects} - set(held))
    who_may = _sample(rng, held, counts["who_may"] * 4 // 5)
    who_may += _sample(rng, unheld, counts["who_may"] - len(who_may))
    rng.shuffle(who_may)

    mix = [("may", q) for q in may] + [("who_serves", (u,)) for u in who_serves] + \
          [("who_may", q) for q in who_may]
    rng.shuffle(mix)
    return Questions(tuple(may), tuple((u,) for u in who_serves), tuple(who_may), tuple(mix))


def make_distinct(truth, questions: Questions, seed: int = 1,
                  counts: dict[str, int] | None = None) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Questions for the distinct-question mode: per kind up to ``counts`` questions, each asked
    once and none asked in ``questions``' mix, so every one is a first asking. ``may``: half
    allowed, half denied (random triples of actors, actions and objects), where the organisation
    has enough; ``who_serves``: units; ``who_may``: (action, object) pairs."""
    counts = {**QUESTION_COUNTS, **(counts or {})}
    rng = random.Random(f"kdv-bench/distinct/{seed}")
    asked = set(questions.mix)
    allowed = [r for r in sorted(truth.may) if ("may", r) not in asked]
    yes = rng.sample(allowed, min(len(allowed), counts["may"] // 2))
    actors, actions, objects = sorted(truth.kind_of), sorted(truth.actions), sorted(truth.objects)
    denied: set[tuple[str, str, str]] = set()
    tries = 0
    while len(denied) < counts["may"] - len(yes) and tries < 100 * counts["may"]:
        tries += 1
        q = (rng.choice(actors), rng.choice(actions), rng.choice(objects))
        if q not in truth.may and ("may", q) not in asked:
            denied.add(q)
    may = yes + sorted(denied)
    rng.shuffle(may)
    units = [(u,) for u in sorted(truth.units) if ("who_serves", (u,)) not in asked]
    pairs = [(a, o) for a in actions for o in objects if ("who_may", (a, o)) not in asked]
    return {"may": tuple(may),
            "who_serves": tuple(rng.sample(units, min(len(units), counts["who_serves"]))),
            "who_may": tuple(rng.sample(pairs, min(len(pairs), counts["who_may"])))}


def _sample(rng: random.Random, pool: Sequence, n: int) -> list:
    """``n`` items of ``pool``: distinct while it lasts, then repeated."""
    if not pool or n <= 0:
        return []
    out = rng.sample(list(pool), min(n, len(pool)))
    while len(out) < n:
        out.append(rng.choice(pool))
    return out


def _stratified(rng: random.Random, pools: dict[str, list], shares: dict[str, float], n: int) -> list:
    out: list = []
    nonempty = {k: v for k, v in pools.items() if v}
    total = sum(shares[k] for k in nonempty)
    for i, (kind, pool) in enumerate(sorted(nonempty.items())):
        want = n - len(out) if i == len(nonempty) - 1 else round(n * shares[kind] / total)
        out += _sample(rng, pool, want)
    return out


def _denied(rng: random.Random, truth, n: int) -> list[tuple[str, str, str]]:
    """``n`` denied may questions: near misses first, then random triples."""
    candidates: list[tuple[str, str, str]] = []
    # a member that does not chair the body, asked about what the body may
    for body, members in sorted(truth.members.items()):
        for role in sorted(members - truth.chairs_of_body.get(body, set())):
            for action, obj in sorted(truth.body_may.get(body, ()))[:3]:
                candidates.append((role, action, obj))
                for person in sorted(truth.holders.get(role, ()))[:1]:
                    candidates.append((person, action, obj))
    # a delegation of something the delegator may not: it does not pass
    for _delegator, delegate, action, obj in truth.delegations:
        candidates.append((delegate, action, obj))
    # another action on an object the actor may act on
    for actor, action, obj in sorted(truth.may)[::7]:
        for other in truth.actions:
            if other != action:
                candidates.append((actor, other, obj))
                break
    near = sorted({c for c in candidates if c not in truth.may})
    out = _sample(rng, near, n // 2)
    actors = sorted(truth.kind_of)
    actions, objects = sorted(truth.actions), sorted(truth.objects)
    tries = 0
    while len(out) < n and tries < 100 * n:
        tries += 1
        row = (rng.choice(actors), rng.choice(actions), rng.choice(objects))
        if row not in truth.may:
            out.append(row)
    return out


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="the policy directory to write")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(list(argv) if argv is not None else None)
    path = generate(args.scale, args.seed, args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
