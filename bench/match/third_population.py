"""A third synthetic population, written blind: households of older adults and their relatives, a
RENAPO-validated pension roll and clinic registries typed by clerks, in the CSV contract.

Written without reading the matcher or the project's own generators (``interop synth``), so that it
does not share their assumptions: its own name lists (``third_population_data.py``), household model,
look-alikes and error model, and its own CURP computation (RENAPO's rules: first letter and first inner
vowel of the first surname, initial of the second, initial of the given name skipping MARIA/JOSE in
compound names, particles skipped, Ñ→X, inconvenient words, homoclave digit to 1999 and letter from
2000, check digit). Rates are named constants below and documented in docs/synth.md.

    python bench/match/third_population.py --people 21000 --seed 1 --out DIR

writes pension_roll.csv, patients.csv, units.csv, truth.csv, noise.csv (the kinds of error put on each
record) and hard_negatives.csv (pairs of distinct people who look alike, by kind), as ``interop synth``
does, plus households.csv (person, household, role) for the analysis of a run.
"""

from __future__ import annotations

import argparse
import csv
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from third_population_data import (
    COLONIAS,
    COMMON,
    COMPOUND_SURNAMES,
    F_OLD,
    F_OLD_COMPOUND,
    F_YOUNG,
    F_YOUNG_COMPOUND,
    M_OLD,
    M_OLD_COMPOUND,
    M_YOUNG,
    M_YOUNG_COMPOUND,
    OTHER_BIRTH_STATES,
    PLACES,
    REGIONAL,
    STREETS,
    words,
)

TODAY = date(2026, 12, 1)
ROLL_COLUMNS = [
    "record_id",
    "curp",
    "nombre",
    "primer_apellido",
    "segundo_apellido",
    "fecha_nacimiento",
    "sexo",
    "entidad",
    "municipio",
    "localidad",
    "domicilio",
    "telefono",
    "programa",
]
PATIENT_COLUMNS = [*ROLL_COLUMNS[:-1], "clues", "expediente"]
UNIT_COLUMNS = [
    "clues",
    "nombre",
    "entidad",
    "municipio",
    "localidad",
    "nivel",
    "latitud",
    "longitud",
    "estatus",
    "clues_anterior",
]

# --- rates (per household, person or record; docs/synth.md "A third population") ---------------------
P_SPOUSE = 0.62  # the older adult lives with a spouse
P_ADULT_CHILD = 0.45  # an adult child lives in the household (with a 35 % chance of a second)
P_GRANDCHILD = 0.5  # given an adult child, grandchildren live there too (1–3)
P_NAMESAKE_RELATIVE = 0.05  # a co-resident relative with the same full name and day/month of birth
P_PARENT_CHILD_NAMESAKE = 0.04  # an adult son or daughter named exactly like the parent
P_SIBLING_SHARED_GIVEN = 0.06  # a co-resident sibling sharing the first given name (MARIA X / MARIA Y)
P_TWINS = 0.012  # the older adult's twin lives with them
P_NAMESAKE_NEIGHBOUR = 0.05  # another household in the same small town holds a namesake
P_BORN_ELSEWHERE, P_BORN_ABROAD = 0.12, 0.01  # CURP state differs from the entidad of residence
P_MOVED = 0.06  # moved from another entidad: older registry records carry the old address
P_ROLL_65 = 0.9  # people 65+ on the roll (PAM)
P_ROLL_PCD = 0.015  # people under 65 on the roll (PCD, disability)
P_ROLL_TWICE = 0.02  # a pensioner enrolled twice (re-enrolled after a move or a programme change)
UNITS_PENSIONER = [0.25, 0.5, 0.18, 0.07]  # P(0, 1, 2, 3 registries) for a pensioner
UNITS_OTHER = [0.4, 0.48, 0.12]  # for everyone else
# registry errors, per record
P_CURP_CAPTURED = (0.25, 0.85)  # range of units' CURP capture rates (missing otherwise)
P_CURP_RELATIVE, P_CURP_OLD_HOMOCLAVE, P_CURP_BAD_CHECK, P_CURP_TRANSPOSED = 0.03, 0.03, 0.04, 0.015
P_OTHER_DOCUMENT = 0.012  # typed from a relative's document: their birth date, sex and CURP
P_YEAR_ONLY, P_DAY_MONTH_SWAP, P_YEAR_SLIP, P_NO_BIRTH = 0.04, 0.03, 0.015, 0.02
P_KEY_SLIP, P_DROP_SECOND_GIVEN, P_ABBREV_GIVEN, P_NICKNAME = 0.05, 0.25, 0.1, 0.05
P_SWAP_SURNAMES, P_MARRIED_DE, P_NO_SECOND_SURNAME = 0.02, 0.3, 0.05
P_EXTRA_SPACES, P_SEX_FLIP, P_NO_PHONE = 0.04, 0.005, 0.45
# per unit: share of units whose clerks write accents, lower case, a postcode in municipio, no sex,
# no entidad
P_UNIT_ACCENTS, P_UNIT_LOWER, P_UNIT_POSTCODE, P_UNIT_NO_SEX, P_UNIT_NO_ENTIDAD = 0.3, 0.1, 0.12, 0.1, 0.12

CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
PARTICLES = {
    "DA",
    "DAS",
    "DE",
    "DEL",
    "DER",
    "DI",
    "DIE",
    "DD",
    "EL",
    "LA",
    "LOS",
    "LAS",
    "LE",
    "LES",
    "MAC",
    "MC",
    "VAN",
    "VON",
    "Y",
}
SKIPPED_GIVEN = {"MARIA", "MA", "MA.", "M", "M.", "JOSE", "J", "J."}
INCONVENIENT = set(
    words(
        "BACA BAKA BUEI BUEY CACA CACO CAGA CAGO CAKA CAKO COGE COGI COJA COJE COJI COJO COLA CULO FALO "
        "FETO GETA GUEI GUEY JETA JOTO KACA KACO KAGA KAGO KAKA KAKO KOGE KOGI KOJA KOJE KOJI KOJO KOLA "
        "KULO LILO LOCA LOCO LOKA LOKO MAME MAMO MEAR MEAS MEON MIAR MION MOCO MOKO MULA MULO NACA NACO "
        "PEDA PEDO PENE PIPI PITO POPO PUTA PUTO QULO RATA ROBA ROBE ROBO RUIN SENO TETA VACA VAGA VAGO "
        "VAKA VUEI VUEY WUEI WUEY"
    )
)


# --- CURP (RENAPO) ------------------------------------------------------------------------------------
def _plain(text: str) -> str:
    """Upper case without accents, Ñ kept (RENAPO writes it; the key turns it into X)."""
    out = []
    for ch in text.upper():
        if ch == "Ñ":
            out.append(ch)
        else:
            out.append("".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)))
    return "".join(out)


def _words(text: str, skip: set[str]) -> str:
    """The word a CURP takes its letters from: particles (and for given names MARIA/JOSE first of
    several) left out."""
    words = _plain(text).replace(".", ". ").split()
    if skip and len(words) > 1 and words[0] in skip:
        words = words[1:]
    kept = [w for w in words if w not in PARTICLES]
    return (kept or words or ["X"])[0].replace(".", "")


def _first(word: str) -> str:
    return "X" if not word or word[0] == "Ñ" or not word[0].isalpha() else word[0]


def _inner(word: str, vowels: bool) -> str:
    """First inner vowel or consonant; a special character met first (D/AMICO, O'CONNOR) gives X, as
    RENAPO's instructivo does where such a character takes the position."""
    for ch in word[1:]:
        if not ch.isalpha():
            return "X"
        if (ch in "AEIOU") == vowels:
            return "X" if ch == "Ñ" else ch
    return "X"


def check_digit(first17: str) -> str:
    total = sum(CURP_ALPHABET.index(c) * (18 - i) for i, c in enumerate(first17))
    return str((10 - total % 10) % 10)


def curp_stem(given: str, first: str, second: str, born: date, sex: str, state: str) -> str:
    """Characters 1–16."""
    p, m, g = (
        _words(first, set()),
        _words(second, set()) if second.strip() else "",
        _words(given, SKIPPED_GIVEN),
    )
    head = _first(p) + _inner(p, True) + (_first(m) if m else "X") + _first(g)
    if head in INCONVENIENT:
        head = head[0] + "X" + head[2:]
    inner = _inner(p, False) + (_inner(m, False) if m else "X") + _inner(g, False)
    return f"{head}{born:%y%m%d}{sex}{state}{inner}"


def make_curp(stem: str, homoclave: str) -> str:
    return stem + homoclave + check_digit(stem + homoclave)


def curp_valid(curp: str) -> bool:
    return len(curp) == 18 and all(c in CURP_ALPHABET for c in curp) and check_digit(curp[:17]) == curp[17]


# --- the world ----------------------------------------------------------------------------------------
@dataclass
class Household:
    hid: str
    entidad: str
    municipio: str
    postcode: str
    localidad: str
    small: bool
    street: str  # "" in small places: DOMICILIO CONOCIDO
    number: str
    colonia: str
    phone: str


@dataclass
class Person:
    pid: str
    given: str
    first: str
    second: str
    sex: str
    born: date
    state: str
    home: Household
    role: str
    curp: str = ""
    old_curp: str = ""  # an earlier CURP RENAPO replaced (homoclave differs)
    spouse: Person | None = None
    relatives: list[Person] = field(default_factory=list)
    old_home: Household | None = None


class World:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people: list[Person] = []
        self.households: list[Household] = []
        self.curps: set[str] = set()
        self.lookalikes: list[tuple[str, str, str]] = []
        self.by_town: dict[tuple[str, str], list[Person]] = {}
        states = list(PLACES)
        self.state_weights = [PLACES[s][0] for s in states]
        self.states = states

    def age(self, born: date) -> int:
        return TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))

    def birth(self, year: int, day_month: tuple[int, int] | None = None) -> date:
        if day_month:
            m, d = day_month
            if (m, d) == (2, 29) and year % 4:
                d = 28
            return date(year, m, d)
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    def given(self, sex: str, year: int, compound: float = 0.4) -> str:
        old = year < 1975
        if sex == "M":
            pools = (F_OLD, F_OLD_COMPOUND) if old else (F_YOUNG, F_YOUNG_COMPOUND)
        else:
            pools = (M_OLD, M_OLD_COMPOUND) if old else (M_YOUNG, M_YOUNG_COMPOUND)
        return self.rng.choice(pools[1] if self.rng.random() < compound else pools[0])

    def surname(self, region: str) -> str:
        r = self.rng.random()
        if r < 0.3:
            return self.rng.choice(REGIONAL[region].split())
        if r < 0.36:
            return self.rng.choice(COMPOUND_SURNAMES)
        return self.rng.choice(COMMON[: 20 + int(self.rng.random() * (len(COMMON) - 20))])

    def household(self, entidad: str | None = None) -> Household:
        rng = self.rng
        e = entidad or rng.choices(self.states, self.state_weights)[0]
        mun, base, locs = rng.choice(PLACES[e][3])
        li = 0 if len(locs) == 1 or rng.random() < 0.55 else rng.randrange(1, len(locs))
        small = li > 0
        street = "" if small and rng.random() < 0.6 else rng.choice(STREETS)
        if e in ("YN", "QR") and street and rng.random() < 0.6:
            street = f"CALLE {rng.randrange(1, 90)}"
        number = "S/N" if street and rng.random() < 0.15 else str(rng.randrange(1, 400))
        phone = (
            ""
            if rng.random() < 0.3
            else f"{rng.choice(['2', '3', '5', '6', '7', '9'])}{rng.randrange(10**8, 10**9)}"
        )
        h = Household(
            f"H{len(self.households) + 1:07d}",
            e,
            mun,
            f"{base + rng.randrange(0, 90):05d}",
            locs[li],
            small,
            street,
            number,
            rng.choice(COLONIAS),
            phone,
        )
        self.households.append(h)
        return h

    def person(
        self, given: str, first: str, second: str, sex: str, born: date, home: Household, role: str
    ) -> Person:
        r = self.rng.random()
        state = home.entidad
        if r < P_BORN_ABROAD:
            state = "NE"
        elif r < P_BORN_ABROAD + P_BORN_ELSEWHERE:
            state = self.rng.choice(OTHER_BIRTH_STATES + self.states)
        p = Person(f"T{len(self.people) + 1:07d}", given, first, second, sex, born, state, home, role)
        stem = curp_stem(given, first, second, born, sex, state)
        digits = "0123456789" if born.year < 2000 else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        weights = [8 if c in "0A" else 1 for c in digits]  # RENAPO's first issue is mostly 0 / A
        for _ in range(50):
            curp = make_curp(stem, self.rng.choices(digits, weights)[0])
            if curp not in self.curps:
                break
        self.curps.add(curp)
        p.curp = curp
        if self.rng.random() < 0.05:  # an earlier CURP, later replaced by RENAPO (homoclave)
            p.old_curp = make_curp(stem, self.rng.choice([c for c in digits if c != curp[16]]))
        self.people.append(p)
        if home.small:
            self.by_town.setdefault((home.municipio, home.localidad), []).append(p)
        return p

    def relate(self, a: Person, b: Person, kind: str | None = None) -> None:
        a.relatives.append(b)
        b.relatives.append(a)
        if kind:
            self.lookalikes.append((a.pid, b.pid, kind))

    def build_household(self) -> None:
        rng = self.rng
        h = self.household()
        region = PLACES[h.entidad][1]
        year = rng.randrange(1931, 1962)
        sex = rng.choice("HM")
        elder = self.person(
            self.given(sex, year),
            self.surname(region),
            self.surname(region),
            sex,
            self.birth(year),
            h,
            "elder",
        )
        if rng.random() < P_MOVED:
            elder.old_home = self.household(rng.choice([s for s in self.states if s != h.entidad]))
        sibling: Person | None = None
        if rng.random() < P_SIBLING_SHARED_GIVEN:
            lead = "MARIA" if elder.sex == "M" else rng.choice(["JOSE", "JUAN"])
            pool = F_OLD if elder.sex == "M" else M_OLD
            if elder.given.startswith(lead + " "):
                e_given = elder.given
            else:  # the elder is MARIA X as well (never MARIA MARIA)
                last = elder.given.split()[-1]
                e_given = f"{lead} {last if last != lead else rng.choice([g for g in pool if g != lead])}"
            elder.given = e_given
            elder.curp = self.recurp(elder)
            other = rng.choice([g for g in pool if g not in e_given.split() and g != lead])
            syear = year + rng.choice((-1, 1)) * rng.randrange(1, 11)
            sib = self.person(
                f"{lead} {other}",
                elder.first,
                elder.second,
                elder.sex,
                self.birth(min(1990, syear)),
                h,
                "sibling",
            )
            self.relate(elder, sib, "siblings_shared_given")
            sibling = sib
        members = [elder]
        if sibling:
            members.append(sibling)
        spouse = None
        if rng.random() < P_SPOUSE:
            ssex = "M" if sex == "H" else "H"
            syear = min(2005, year + rng.randrange(-8, 4) * (1 if sex == "H" else -1))
            spouse = self.person(
                self.given(ssex, syear),
                self.surname(region),
                self.surname(region),
                ssex,
                self.birth(syear),
                h,
                "spouse",
            )
            spouse.old_home = elder.old_home
            elder.spouse, spouse.spouse = spouse, elder
            self.relate(elder, spouse, "spouses")
            members.append(spouse)
        father = elder if sex == "H" else spouse
        mother = elder if sex == "M" else spouse
        # Children's surnames: the father's first and the mother's first.
        c_first = father.first if father else self.surname(region)
        c_second = mother.first if mother else self.surname(region)
        children: list[Person] = []
        if rng.random() < P_ADULT_CHILD:
            for _ in range(1 + (rng.random() < 0.35)):
                cyear = min(2006, year + rng.randrange(18, 42))
                csex = rng.choice("HM")
                child = self.person(
                    self.given(csex, cyear), c_first, c_second, csex, self.birth(cyear), h, "child"
                )
                self.relate(elder, child, "parent_child")
                children.append(child)
        if children and rng.random() < P_GRANDCHILD:
            for _ in range(rng.randrange(1, 4)):
                gyear = min(2025, children[0].born.year + rng.randrange(18, 35))
                gsex = rng.choice("HM")
                g = self.person(
                    self.given(gsex, gyear),
                    children[0].first if children[0].sex == "H" else self.surname(region),
                    children[0].first if children[0].sex == "M" else self.surname(region),
                    gsex,
                    self.birth(gyear),
                    h,
                    "grandchild",
                )
                self.relate(children[0], g, "parent_child")
                members.append(g)
        members += children
        if rng.random() < P_PARENT_CHILD_NAMESAKE and elder.second:
            # Named after the parent; the mother's surname equals the father's second (one family line).
            cyear = min(2000, year + rng.randrange(19, 36))
            same_day = rng.random() < 0.5  # named after the saint of the day
            child = self.person(
                elder.given,
                elder.first,
                elder.second,
                elder.sex,
                self.birth(cyear, (elder.born.month, elder.born.day) if same_day else None),
                h,
                "child_namesake",
            )
            self.relate(elder, child, "namesake_parent_child")
            members.append(child)
        if rng.random() < P_NAMESAKE_RELATIVE:
            r = rng.random()
            gap = 0 if r < 0.05 else 20 if r < 0.1 else rng.randrange(1, 11)
            ryear = min(1990, year + gap * rng.choice((-1, 1)))
            rel = self.person(
                elder.given,
                elder.first,
                elder.second,
                elder.sex,
                self.birth(ryear, (elder.born.month, elder.born.day)),
                h,
                "namesake_relative",
            )
            self.relate(elder, rel, "namesake_relative")
            members.append(rel)
        if rng.random() < P_TWINS:
            tsex = rng.choice("HM")
            twin = self.person(
                self.given(tsex, year, 0.6), elder.first, elder.second, tsex, elder.born, h, "twin"
            )
            if twin.given == elder.given:
                twin.given = self.given(tsex, year, 0.0)
                twin.curp = self.recurp(twin)
            self.relate(elder, twin, "twins")
            members.append(twin)
        if h.small and rng.random() < P_NAMESAKE_NEIGHBOUR:
            n = self.household_in(h)
            nyear = year + rng.randrange(-15, 16)
            same_day = rng.random() < 0.5
            nb = self.person(
                elder.given,
                elder.first,
                elder.second if rng.random() < 0.6 else self.surname(region),
                elder.sex,
                self.birth(min(1990, nyear), (elder.born.month, elder.born.day) if same_day else None),
                n,
                "namesake_neighbour",
            )
            self.lookalikes.append((elder.pid, nb.pid, "namesake_neighbours"))
        for a in members:
            for b in members:
                if a.pid < b.pid and b not in a.relatives:
                    self.relate(a, b)

    def household_in(self, h: Household) -> Household:
        n = self.household(h.entidad)
        n.municipio, n.postcode, n.localidad, n.small = h.municipio, h.postcode, h.localidad, True
        return n

    def recurp(self, p: Person) -> str:
        self.curps.discard(p.curp)
        stem = curp_stem(p.given, p.first, p.second, p.born, p.sex, p.state)
        curp = make_curp(stem, p.curp[16])
        while curp in self.curps:
            curp = make_curp(stem, self.rng.choice("123456789" if p.born.year < 2000 else "BCDEFGH"))
        self.curps.add(curp)
        if p.old_curp:
            p.old_curp = make_curp(
                stem,
                self.rng.choice([c for c in "0123456789" if c != curp[16]])
                if p.born.year < 2000
                else "Z"
                if curp[16] != "Z"
                else "Y",
            )
        return curp


# --- records ------------------------------------------------------------------------------------------
def generate(people: int, seed: int, out: Path) -> dict[str, int]:
    """Write the population's files into ``out``; returns counts."""
    from third_population_records import Clerk, build_units, roll_row, unit_rows

    rng = random.Random(seed)
    world = World(rng)
    units = build_units(rng)
    clerk = Clerk(rng)
    roll: list[tuple[dict[str, str], Person, list[str]]] = []
    patients: list[tuple[dict[str, str], Person, list[str]]] = []
    with_records: set[str] = set()
    done = 0
    while len(with_records) < people:
        world.build_household()
        for p in world.people[done:]:
            age = world.age(p.born)
            on_roll = rng.random() < (P_ROLL_65 if age >= 65 else P_ROLL_PCD)
            if on_roll:
                programa = "PAM" if age >= 65 else "PCD"
                phone = p.home.phone if rng.random() < 0.8 else ""
                roll.append((roll_row(p, "", p.home, phone, programa), p, []))
                if rng.random() < P_ROLL_TWICE:
                    home = p.old_home or p.home
                    again = roll_row(p, "", home, "" if rng.random() < 0.5 else phone, programa)
                    roll.append((again, p, ["roll_twice"] + (["moved"] if home is not p.home else [])))
            weights = UNITS_PENSIONER if on_roll else UNITS_OTHER
            n_units = rng.choices(range(len(weights)), weights)[0]
            for k in range(n_units):
                home = p.old_home if p.old_home and k == 0 and rng.random() < 0.5 else p.home
                local = units.get((home.entidad, home.municipio), [])
                pool = local if local and rng.random() < 0.8 else units[(home.entidad, "")]
                row, noise = clerk.row(p, rng.choice(pool), home, "")
                patients.append((row, p, noise))
            if on_roll or n_units:
                with_records.add(p.pid)
        done = len(world.people)
    rng.shuffle(roll)
    rng.shuffle(patients)
    out.mkdir(parents=True, exist_ok=True)
    truth, noise_rows = [], []
    for prefix, source, rows in (("R", "roll", roll), ("E", "patients", patients)):
        for i, (row, p, noise) in enumerate(rows, 1):
            row["record_id"] = f"{prefix}{i:09d}"
            truth.append({"source": source, "record_id": row["record_id"], "person_id": p.pid})
            if noise:
                noise_rows.append({"source": source, "record_id": row["record_id"], "noise": "|".join(noise)})
    _write(out / "pension_roll.csv", ROLL_COLUMNS, [r for r, _, _ in roll])
    _write(out / "patients.csv", PATIENT_COLUMNS, [r for r, _, _ in patients])
    _write(out / "units.csv", UNIT_COLUMNS, unit_rows(units))
    _write(out / "truth.csv", ["source", "record_id", "person_id"], truth)
    _write(out / "noise.csv", ["source", "record_id", "noise"], noise_rows)
    _write(
        out / "hard_negatives.csv",
        ["person_id_a", "person_id_b", "kind"],
        [
            {"person_id_a": a, "person_id_b": b, "kind": k}
            for a, b, k in world.lookalikes
            if a in with_records and b in with_records
        ],
    )
    _write(
        out / "households.csv",
        ["person_id", "household", "role", "entidad", "localidad"],
        [
            {
                "person_id": p.pid,
                "household": p.home.hid,
                "role": p.role,
                "entidad": p.home.entidad,
                "localidad": p.home.localidad,
            }
            for p in world.people
            if p.pid in with_records
        ],
    )
    return {
        "people": len(with_records),
        "roll": len(roll),
        "patients": len(patients),
        "records": len(roll) + len(patients),
        "lookalike_pairs": len(world.lookalikes),
    }


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=21000, help="People with at least one record.")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    print(generate(args.people, args.seed, args.out))


if __name__ == "__main__":
    main()
