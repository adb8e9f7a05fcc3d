"""People and households of the third population (``third_population.py``): older adults, their
relatives and the look-alikes among them, each with the CURP RENAPO would have issued."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from third_population_curp import curp_stem, make_curp
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
)
from third_population_rates import (
    P_ADULT_CHILD,
    P_BORN_ABROAD,
    P_BORN_ELSEWHERE,
    P_GRANDCHILD,
    P_MOVED,
    P_NAMESAKE_NEIGHBOUR,
    P_NAMESAKE_RELATIVE,
    P_PARENT_CHILD_NAMESAKE,
    P_SIBLING_SHARED_GIVEN,
    P_SPOUSE,
    P_TWINS,
    TODAY,
)


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
