"""Hypothesis strategies for synthetic people and their CURPs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hypothesis import assume
from hypothesis import strategies as st

from interop.identity.curp import STATE_CODES, build_curp, derive_curp16
from interop.identity.sex import Sex

GIVEN = ["JUAN", "MARIA", "JOSE", "MA.", "J.", "GUADALUPE", "IÑIGO", "ÁNGEL", "LEA", "YOLANDA", "OFELIA"]
SURNAMES = ["PEREZ", "DE LA CRUZ", "NÚÑEZ", "ÑIGUEZ", "MC GREGOR", "ICH", "D'ARTOIS", "O", "BUENDIA"]
LETTERS = "ABCDEFGHIJKLMNÑOPQRSTUVWXYZÁÉÍÓÚÜ"

word = st.text(alphabet=LETTERS, min_size=2, max_size=10)
given_names = st.one_of(
    st.sampled_from(GIVEN),
    st.lists(st.one_of(word, st.sampled_from(GIVEN)), min_size=1, max_size=3).map(" ".join),
)
surnames = st.one_of(st.sampled_from(SURNAMES), st.lists(word, min_size=1, max_size=2).map(" ".join))
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
sexes = st.sampled_from(list(Sex))
states = st.sampled_from(sorted(STATE_CODES))


@dataclass(frozen=True)
class Person:
    given_names: str
    paternal_surname: str | None
    maternal_surname: str | None
    birth_date: date
    sex: Sex
    state: str

    def curp16(self) -> str:
        return derive_curp16(
            given_names=self.given_names,
            paternal_surname=self.paternal_surname,
            maternal_surname=self.maternal_surname,
            birth_date=self.birth_date,
            sex=self.sex,
            state=self.state,
        )

    def curp(self, homoclave: str) -> str:
        return build_curp(
            given_names=self.given_names,
            paternal_surname=self.paternal_surname,
            maternal_surname=self.maternal_surname,
            birth_date=self.birth_date,
            sex=self.sex,
            state=self.state,
            homoclave=homoclave,
        )


@st.composite
def people(draw: st.DrawFn) -> Person:
    """A synthetic person with a given name and at least one surname that a CURP can be built from."""
    person = Person(
        given_names=draw(given_names),
        paternal_surname=draw(st.one_of(st.none(), surnames)),
        maternal_surname=draw(st.one_of(st.none(), surnames)),
        birth_date=draw(birth_dates),
        sex=draw(sexes),
        state=draw(states),
    )
    try:
        person.curp16()
    except ValueError:
        assume(False)  # junk-looking names ("XX", "NA") or no surname at all
    return person


def homoclaves(born: date) -> st.SearchStrategy[str]:
    """RENAPO's character 17: a digit for births to 1999, a letter from 2000."""
    return st.sampled_from("0123456789" if born.year < 2000 else "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@st.composite
def curps(draw: st.DrawFn) -> str:
    """A valid CURP of a random synthetic person."""
    person = draw(people())
    return person.curp(draw(homoclaves(person.birth_date)))
