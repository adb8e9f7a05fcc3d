"""The true population: programmes and ages, names, places, CURPs and hard negatives."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import numpy as np

from interop.identity.curp import build_curp, validate_curp
from interop.synth.population import (
    EPOCH,
    NEIGHBOURS,
    OTHER,
    PAM,
    PARENT_CHILD,
    PCD,
    REFERENCE_DATE,
    SEX_LETTERS,
    STATE_CODES,
    TWINS,
)
from interop.synth.states import STATE_INDEX

from .factories import PEOPLE, World, Written


def _birth(days: int) -> date:
    return EPOCH + timedelta(days=int(days))


def _age(born: date) -> int:
    return (
        REFERENCE_DATE.year
        - born.year
        - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (born.month, born.day))
    )


def test_pam_are_65_or_older_and_pcd_younger(world: World) -> None:
    pop = world.pop
    ages = np.array([_age(_birth(d)) for d in pop.birth_days.tolist()])
    assert ages[pop.category == PAM].min() >= 65
    assert ages[pop.category == PCD].max() < 65
    assert ages.max() <= 105
    assert ages.min() >= 0
    shares = np.bincount(pop.category, minlength=3) / pop.size
    assert 0.5 < shares[PAM] < 0.7
    assert 0.1 < shares[PCD] < 0.2
    assert 0.2 < shares[OTHER] < 0.3


def test_older_people_heap_on_new_year(world: World) -> None:
    born = [_birth(d) for d in world.pop.birth_days.tolist()]
    old = [b for b in born if b.year < 1960]
    young = [b for b in born if b.year >= 1962]
    new_year_old = sum(b.month == 1 and b.day == 1 for b in old) / len(old)
    new_year_young = sum(b.month == 1 and b.day == 1 for b in young) / len(young)
    assert 0.02 < new_year_old < 0.045
    assert new_year_young < 0.01


def test_every_curp_is_identity_built_and_unique(world: World) -> None:
    pop, vocab = world.pop, world.vocab
    assert len(set(pop.curp.tolist())) == pop.size
    rows = np.arange(0, pop.size, 97)
    given = pop.given_names(vocab, rows)
    for k, i in enumerate(rows.tolist()):
        curp = str(pop.curp[i])
        assert validate_curp(curp).valid
        born = _birth(pop.birth_days[i])
        assert curp[16].isdigit() == (born.year < 2000)
        maternal = pop.maternal[i]
        assert curp == build_curp(
            given_names=given[k],
            paternal_surname=vocab.surnames[pop.paternal[i]],
            maternal_surname=vocab.surnames[maternal] if maternal >= 0 else None,
            birth_date=born,
            sex=SEX_LETTERS[pop.sex[i]],
            state=STATE_CODES[pop.birth_state[i]],
            homoclave=curp[16],
        )


def test_surnames_skewed_like_mexico(world: World) -> None:
    pop, vocab = world.pop, world.vocab
    counts = Counter(vocab.surnames[i] for i in pop.paternal.tolist())
    top = [name for name, _ in counts.most_common(5)]
    assert top[0] == "HERNÁNDEZ"
    assert set(top) <= {"HERNÁNDEZ", "GARCÍA", "MARTÍNEZ", "LÓPEZ", "GONZÁLEZ", "RODRÍGUEZ"}
    assert 0.03 < counts["HERNÁNDEZ"] / pop.size < 0.07
    assert len(counts) > 300  # a long tail
    compound = {"DE LA CRUZ", "DEL ÁNGEL", "PONCE DE LEÓN", "DE LOS SANTOS"}
    assert compound <= set(counts)
    assert {"NÚÑEZ", "PEÑA", "MUÑOZ", "IBÁÑEZ"} <= set(counts)


def test_indigenous_surnames_are_regional(world: World) -> None:
    pop, vocab = world.pop, world.vocab
    maya = {"PECH", "CHAN", "CANUL", "POOT", "UC", "KU", "TUZ", "CEH", "DZUL"}
    born = pop.birth_state
    in_yucatan = [vocab.surnames[i] for i in pop.paternal[born == STATE_INDEX["YN"]].tolist()]
    in_jalisco = [vocab.surnames[i] for i in pop.paternal[born == STATE_INDEX["JC"]].tolist()]
    assert sum(s in maya for s in in_yucatan) / len(in_yucatan) > 0.1
    assert sum(s in maya for s in in_jalisco) == 0
    nahua = {"TECUAPETLA", "XOCHIPA", "TLATELPA", "COATL"}
    in_tlaxcala = [vocab.surnames[i] for i in pop.paternal[born == STATE_INDEX["TL"]].tolist()]
    assert any(s in nahua for s in in_tlaxcala)


def test_given_names_include_compounds(world: World) -> None:
    names = Counter(world.pop.given_names(world.vocab, np.arange(world.pop.size)))
    for compound in ("MARÍA GUADALUPE", "JOSÉ LUIS", "MARÍA DE LOS ÁNGELES", "JUAN CARLOS"):
        assert names[compound] > 0, compound
    two_or_more = sum(c for n, c in names.items() if " " in n) / world.pop.size
    assert 0.25 < two_or_more < 0.6


def test_population_skewed_by_state(world: World) -> None:
    states = Counter(world.geo.loc_state[world.pop.locality].tolist())
    big = [STATE_INDEX[c] for c in ("MC", "DF", "JC", "VZ", "PL")]
    small = [STATE_INDEX[c] for c in ("BS", "CM", "CC")]
    assert min(states[s] for s in big) > 3 * max(states[s] for s in small)


def test_twins(world: World) -> None:
    pop = world.pop
    a, b = pop.pair_a[pop.pair_kind == TWINS], pop.pair_b[pop.pair_kind == TWINS]
    assert a.size == round(PEOPLE * 0.004)
    assert (pop.paternal[a] == pop.paternal[b]).all()
    assert (pop.maternal[a] == pop.maternal[b]).all()
    assert (pop.birth_days[a] == pop.birth_days[b]).all()
    assert (pop.address[a] == pop.address[b]).all()
    assert (pop.locality[a] == pop.locality[b]).all()
    for name_a, name_b in zip(pop.given_names(world.vocab, a), pop.given_names(world.vocab, b), strict=True):
        assert name_a != name_b
    assert (pop.curp[a] != pop.curp[b]).all()


def test_namesake_parent_and_child(world: World) -> None:
    pop = world.pop
    a, b = pop.pair_a[pop.pair_kind == PARENT_CHILD], pop.pair_b[pop.pair_kind == PARENT_CHILD]
    assert a.size > 0
    assert pop.given_names(world.vocab, a) == pop.given_names(world.vocab, b)
    assert (pop.paternal[a] == pop.paternal[b]).all()
    assert (pop.maternal[a] == pop.maternal[b]).all()
    gap_years = (pop.birth_days[b] - pop.birth_days[a]) / 365.2425
    assert gap_years.min() >= 19.9
    assert gap_years.max() <= 35.1
    assert (pop.address[a] == pop.address[b]).all()
    assert (pop.category[a] == PAM).all()


def test_namesake_neighbours(world: World) -> None:
    pop = world.pop
    a, b = pop.pair_a[pop.pair_kind == NEIGHBOURS], pop.pair_b[pop.pair_kind == NEIGHBOURS]
    assert a.size > 0
    assert pop.given_names(world.vocab, a) == pop.given_names(world.vocab, b)
    assert (pop.paternal[a] == pop.paternal[b]).all()
    assert (pop.locality[a] == pop.locality[b]).all()
    assert (pop.birth_days[a] != pop.birth_days[b]).all()


def test_pairs_are_distinct_people(world: World) -> None:
    pop = world.pop
    members = np.concatenate([pop.pair_a, pop.pair_b])
    assert len(set(members.tolist())) == members.size


def test_hard_negatives_file_names_people_present_in_truth(written: Written) -> None:
    pairs = written.rows("hard_negatives.csv")
    assert Counter(p["kind"] for p in pairs) == {
        "twins": 80,
        "namesake_parent_child": 80,
        "namesake_neighbours": 80,
    }
    people = {t["person_id"] for t in written.rows("truth.csv")}
    for pair in pairs:
        assert pair["person_id_a"] in people
        assert pair["person_id_b"] in people
        assert pair["person_id_a"] != pair["person_id_b"]
