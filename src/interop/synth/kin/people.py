"""Households and the people in them: who is related to whom, and so who looks like whom.

A household has a head; maybe a spouse (opposite sex, own surnames, same address and phone);
maybe an adult child living in (some carrying the head's full name, another birth year); and some
heads have a sibling in the same locality (both surnames shared, often one given name shared,
sometimes the same address, sometimes the same day and month of birth). Each relationship that
makes two people look alike is a pair in ``hard_negatives.csv``. Ages are on 2026-01-01.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import accumulate

from interop.identity.curp import check_digit
from interop.identity.derivation import derive_name_part
from interop.synth.geography import Geography
from interop.synth.kin.model import Households
from interop.synth.kin.names import COLONIAS, GIVEN, SECOND, STREETS, SURNAMES
from interop.synth.states import STATE_CODES, STATES

REFERENCE = date(2026, 1, 1)
PAM, PCD = "PAM", "PCD"
PAIR_KINDS = ("siblings", "siblings_shared_given", "spouses", "parent_child_same_name", "parent_child")
_LETTERS = "ABCDEFGHIJKLMNPQRSTUVWXYZ"


@dataclass(slots=True)
class Address:
    street: str
    number: str
    colonia: str
    style: int


@dataclass(slots=True)
class Person:
    index: int
    given: str
    paternal: str
    maternal: str
    sex: str
    birth: date
    birth_state: str
    state: int
    locality: int
    address: Address
    phone: str
    household: int
    spouse: int = -1
    programme: str = ""
    curp: str = ""
    relatives: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Pair:
    a: int
    b: int
    kind: str


def _cohort(birth: date) -> int:
    return 0 if birth.year < 1955 else 1 if birth.year < 1985 else 2


def _birth(rng: random.Random, age: int) -> date:
    """A birth date giving ``age`` full years on the reference date."""
    latest = REFERENCE.replace(year=REFERENCE.year - age) - timedelta(days=1)
    return latest - timedelta(days=rng.randrange(365))


def _older_age(rng: random.Random) -> int:
    return min(104, 65 + int(rng.expovariate(1 / 9)))


class _Builder:
    def __init__(self, rng: random.Random, geo: Geography, shape: Households) -> None:
        self.rng, self.geo, self.shape = rng, geo, shape
        self.people: list[Person] = []
        self.pairs: list[Pair] = []
        self.state_cum = list(accumulate(s.population for s in STATES))
        self.loc_cum: list[float] = geo.loc_cum.tolist()

    def given(self, sex: str, birth: date) -> str:
        return GIVEN[(sex, _cohort(birth))].draw(self.rng)

    def surname(self, state: int) -> str:
        # Maya and Nahua surnames are regional: drawn again elsewhere most of the time.
        name = SURNAMES.draw(self.rng)
        regional = {"PECH", "CHAN", "CANUL", "MAY", "UC", "POOT", "TZEC"}
        if name in regional and STATE_CODES[state] not in ("YN", "CC", "QR"):
            name = SURNAMES.draw(self.rng)
        if name in ("XOLALPA", "TLAPALE") and STATE_CODES[state] not in ("TL", "PL", "VZ", "HG", "MC"):
            name = SURNAMES.draw(self.rng)
        return name

    def address(self) -> Address:
        rng = self.rng
        number = "S/N" if rng.random() < 0.12 else str(rng.randint(1, 400))
        return Address(rng.choice(STREETS), number, rng.choice(COLONIAS), rng.randrange(6))

    def phone(self, state: int) -> str:
        code = self.rng.choice(STATES[state].area_codes)
        return code + str(self.rng.randrange(10 ** (9 - len(code)), 10 ** (10 - len(code))))

    def add(self, **kw: object) -> Person:
        p = Person(len(self.people), **kw)  # type: ignore[arg-type]
        self.people.append(p)
        return p

    def relate(self, a: Person, b: Person, kind: str | None) -> None:
        a.relatives.append(b.index)
        b.relatives.append(a.index)
        if kind:
            self.pairs.append(Pair(a.index, b.index, kind))

    def birth_state(self, state: int) -> str:
        if self.rng.random() < self.shape.other_birth_state:
            return STATE_CODES[self.rng.choices(range(len(STATES)), cum_weights=self.state_cum)[0]]
        return STATE_CODES[state]

    def household(self, h: int) -> None:
        rng, shape = self.rng, self.shape
        state = rng.choices(range(len(STATES)), cum_weights=self.state_cum)[0]
        locality = bisect(self.loc_cum, state + rng.random() * 0.999999)
        home, phone = self.address(), self.phone(state)
        age = _older_age(rng) if rng.random() < shape.older_head else rng.randint(25, 64)
        sex = rng.choice("HM")
        birth = _birth(rng, age)
        # Where the household lives: shared by everyone added to it below.
        place: dict[str, object] = {
            "state": state,
            "locality": locality,
            "address": home,
            "phone": phone,
            "household": h,
        }
        head = self.add(
            given=self.given(sex, birth),
            paternal=self.surname(state),
            maternal=self.surname(state),
            sex=sex,
            birth=birth,
            birth_state=self.birth_state(state),
            **place,
        )
        spouse = None
        if rng.random() < shape.spouse:
            s_sex = "M" if sex == "H" else "H"
            gap = round(rng.gauss(3 if sex == "H" else -3, 3))
            s_birth = _birth(rng, max(20, min(104, age - gap)))
            spouse = self.add(
                given=self.given(s_sex, s_birth),
                paternal=self.surname(state),
                maternal=self.surname(state),
                sex=s_sex,
                birth=s_birth,
                birth_state=self.birth_state(state),
                **place,
                spouse=head.index,
            )
            head.spouse = spouse.index
            self.relate(head, spouse, "spouses")
        if age >= 45 and rng.random() < shape.adult_child:
            c_age = age - rng.randint(20, 38)
            c_sex = rng.choice("HM")
            c_birth = _birth(rng, c_age)
            father = head if sex == "H" else spouse
            mother = head if sex == "M" else spouse
            same_name = c_sex == sex and rng.random() < shape.same_name_child
            if same_name:
                given, pat, mat = head.given, head.paternal, head.maternal
            else:
                given = self.given(c_sex, c_birth)
                pat = father.paternal if father else head.maternal
                mat = mother.paternal if mother else self.surname(state)
            child = self.add(
                given=given,
                paternal=pat,
                maternal=mat,
                sex=c_sex,
                birth=c_birth,
                birth_state=STATE_CODES[state],
                **place,
            )
            self.relate(head, child, "parent_child_same_name" if same_name else "parent_child")
            if spouse is not None:
                self.relate(spouse, child, None)
        if rng.random() < shape.sibling:
            self.sibling(head)

    def sibling(self, head: Person) -> None:
        rng, shape = self.rng, self.shape
        shared = rng.random() < shape.sibling_shared_given
        sex = head.sex if shared else rng.choice("HM")
        years = rng.choice((-1, 1)) * rng.randint(1, 10)
        year = head.birth.year + years
        if not REFERENCE.year - 104 <= year < REFERENCE.year:
            year = head.birth.year - years
        if rng.random() < shape.sibling_same_day_month:
            day = 28 if (head.birth.month, head.birth.day) == (2, 29) else head.birth.day
            birth = date(year, head.birth.month, day)
        else:
            birth = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        if shared:
            given = _shared_given(rng, head.given, sex)
        else:
            given = self.given(sex, birth)
            while given == head.given:
                given = self.given(sex, birth)
        same_address = rng.random() < shape.sibling_same_address
        sib = self.add(
            given=given,
            paternal=head.paternal,
            maternal=head.maternal,
            sex=sex,
            birth=birth,
            birth_state=head.birth_state,
            state=head.state,
            locality=head.locality,
            address=head.address if same_address else self.address(),
            phone=head.phone if same_address else self.phone(head.state),
            household=head.household,
        )
        self.relate(head, sib, "siblings_shared_given" if shared else "siblings")


def _shared_given(rng: random.Random, given: str, sex: str) -> str:
    """Another given name with one word in common: MARÍA ELENA → MARÍA TERESA, JUAN → JUAN ANTONIO."""
    first, _, rest = given.partition(" ")
    other = rng.choice([s for s in SECOND[sex] if s != rest])
    return f"{first} {other}" if rest else f"{given} {other}"


def build_people(
    rng: random.Random, geo: Geography, shape: Households, people: int
) -> tuple[list[Person], list[Pair]]:
    """Exactly ``people`` people in households (the last household cut short), their pairs, programmes
    and CURPs (homoclave distinct among people sharing characters 1–16, check digit valid)."""
    b = _Builder(rng, geo, shape)
    h = 0
    while len(b.people) < people:
        b.household(h)
        h += 1
    del b.people[people:]
    pairs = [p for p in b.pairs if p.a < people and p.b < people]
    for p in b.people:
        p.relatives = [r for r in p.relatives if r < people]
        if p.spouse >= people:
            p.spouse = -1
        age = (REFERENCE - p.birth).days // 365
        if age >= 65 and rng.random() < shape.pension_take_up:
            p.programme = PAM
        elif age < 64 and rng.random() < shape.disability:
            p.programme = PCD
    taken: dict[str, int] = {}
    for p in b.people:
        p.curp = person_curp(p, taken)
    return b.people, pairs


@cache
def _name_part(given: str, paternal: str, maternal: str) -> tuple[str, str]:
    part = derive_name_part(given_names=given, paternal_surname=paternal, maternal_surname=maternal or None)
    return part.initials, part.consonants


def person_curp(p: Person, taken: dict[str, int]) -> str:
    initials, consonants = _name_part(p.given, p.paternal, p.maternal)
    key = f"{initials}{p.birth:%y%m%d}{p.sex}{p.birth_state}{consonants}"
    k = taken.get(key, 0)
    taken[key] = k + 1
    homoclave = str(k % 10) if p.birth.year < 2000 else _LETTERS[k % len(_LETTERS)]
    return key + homoclave + check_digit(key + homoclave)


def other_homoclave(curp: str, shift: int) -> str:
    """The same CURP with another homoclave of the same kind (digit or letter) and a valid check
    digit: the second CURP RENAPO issued to one person by mistake."""
    h = curp[16]
    alphabet = "0123456789" if h.isdigit() else _LETTERS
    new = alphabet[(alphabet.index(h) + 1 + shift % (len(alphabet) - 1)) % len(alphabet)]
    return curp[:16] + new + check_digit(curp[:16] + new)
