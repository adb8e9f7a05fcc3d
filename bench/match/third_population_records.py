"""Units and records of the third population (``third_population.py``): the roll as RENAPO validated
it, and registry rows as clinic clerks type them (each unit with its own habits)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from third_population_curp import check_digit, curp_valid, make_curp
from third_population_data import ACCENTED, KEYBOARD, NICKNAMES, PLACES
from third_population_rates import (
    P_ABBREV_GIVEN,
    P_CURP_BAD_CHECK,
    P_CURP_CAPTURED,
    P_CURP_OLD_HOMOCLAVE,
    P_CURP_RELATIVE,
    P_CURP_TRANSPOSED,
    P_DAY_MONTH_SWAP,
    P_DROP_SECOND_GIVEN,
    P_EXTRA_SPACES,
    P_KEY_SLIP,
    P_MARRIED_DE,
    P_NICKNAME,
    P_NO_BIRTH,
    P_NO_PHONE,
    P_NO_SECOND_SURNAME,
    P_OTHER_DOCUMENT,
    P_SEX_FLIP,
    P_SWAP_SURNAMES,
    P_UNIT_ACCENTS,
    P_UNIT_LOWER,
    P_UNIT_NO_ENTIDAD,
    P_UNIT_NO_SEX,
    P_UNIT_POSTCODE,
    P_YEAR_ONLY,
    P_YEAR_SLIP,
)
from third_population_world import Household, Person


@dataclass
class Unit:
    clues: str
    old_clues: str
    nombre: str
    entidad: str
    municipio: str
    localidad: str
    nivel: int
    lat: float
    lon: float
    curp_rate: float
    accents: bool
    lower: bool
    postcode: bool
    no_sex: bool
    no_entidad: bool
    mid_year: bool  # writes a year-only birth date as 1 July, not 1 January
    address_style: int
    phone_style: int
    exp_style: int
    next_exp: int = 1


def build_units(rng: random.Random) -> dict[tuple[str, str], list[Unit]]:
    """Units by (entidad, municipio); key (entidad, "") holds the entidad's hospitals."""
    units: dict[tuple[str, str], list[Unit]] = {}
    used: set[str] = set()

    def code(e: str, inst: str) -> str:
        while True:
            c = f"{e}{inst}{rng.randrange(1, 20000):06d}"
            if c not in used:
                used.add(c)
                return c

    def unit(e: str, mun: str, loc: str, nombre: str, nivel: int) -> Unit:
        lat, lon = PLACES[e][2]
        imb = rng.random() < 0.6
        return Unit(
            code(e, "IMB" if imb else "SSA"),
            code(e, "SSA") if imb and rng.random() < 0.7 else "",
            nombre,
            e,
            mun,
            loc,
            nivel,
            lat + rng.uniform(-0.8, 0.8),
            lon + rng.uniform(-0.8, 0.8),
            rng.uniform(*P_CURP_CAPTURED),
            rng.random() < P_UNIT_ACCENTS,
            rng.random() < P_UNIT_LOWER,
            rng.random() < P_UNIT_POSTCODE,
            rng.random() < P_UNIT_NO_SEX,
            rng.random() < P_UNIT_NO_ENTIDAD,
            rng.random() < 0.2,
            rng.randrange(4),
            rng.randrange(5),
            rng.randrange(4),
        )

    for e, (_, _, _, municipios) in PLACES.items():
        for mun, _, locs in municipios:
            for i, loc in enumerate(locs):
                if i == 0 or rng.random() < 0.6:
                    kind = "CENTRO DE SALUD" if i == 0 else "CENTRO DE SALUD RURAL"
                    units.setdefault((e, mun), []).append(unit(e, mun, loc, f"{kind} {loc}", 1))
        mun, _, locs = municipios[0]
        units.setdefault((e, ""), []).append(unit(e, mun, locs[0], f"HOSPITAL GENERAL {locs[0]}", 2))
        mun, _, locs = municipios[-1]
        units[(e, "")].append(unit(e, mun, locs[0], f"HOSPITAL COMUNITARIO {locs[0]}", 2))
    return units


def unit_rows(units: dict[tuple[str, str], list[Unit]]) -> list[dict[str, str]]:
    return [
        {
            "clues": u.clues,
            "nombre": u.nombre,
            "entidad": u.entidad,
            "municipio": u.municipio,
            "localidad": u.localidad,
            "nivel": str(u.nivel),
            "latitud": f"{u.lat:.6f}",
            "longitud": f"{u.lon:.6f}",
            "estatus": "EN OPERACION",
            "clues_anterior": u.old_clues,
        }
        for us in units.values()
        for u in us
    ]


def street_text(h: Household) -> str:
    return h.street if h.street.startswith("CALLE ") else f"CALLE {h.street}"


def roll_address(h: Household) -> str:
    if not h.street:
        return "DOMICILIO CONOCIDO"
    return f"{street_text(h)} {h.number}" + ("" if h.small else f", COL. {h.colonia}")


def roll_row(p: Person, rid: str, home: Household, phone: str, programa: str) -> dict[str, str]:
    return {
        "record_id": rid,
        "curp": p.curp,
        "nombre": p.given,
        "primer_apellido": p.first,
        "segundo_apellido": p.second,
        "fecha_nacimiento": p.born.isoformat(),
        "sexo": p.sex,
        "entidad": home.entidad,
        "municipio": home.municipio,
        "localidad": home.localidad,
        "domicilio": roll_address(home),
        "telefono": phone,
        "programa": programa,
    }


class Clerk:
    """Types one registry row for a person at a unit, with the unit's habits and a clerk's errors."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def row(self, p: Person, u: Unit, home: Household, rid: str) -> tuple[dict[str, str], list[str]]:
        rng, noise = self.rng, []
        born, sex, curp_source = p.born, p.sex, p
        if p.relatives and rng.random() < P_OTHER_DOCUMENT:
            curp_source = rng.choice(p.relatives)  # typed from a relative's identity document
            born, sex = curp_source.born, curp_source.sex
            noise.append("other_document")
        curp = ""
        if rng.random() < u.curp_rate or curp_source is not p:
            curp = curp_source.curp
            r = rng.random()
            if curp_source is p and p.relatives and r < P_CURP_RELATIVE:
                curp = rng.choice(p.relatives).curp
                noise.append("curp_of_relative")
            elif (r := r - P_CURP_RELATIVE) < P_CURP_OLD_HOMOCLAVE:
                curp = curp_source.old_curp or self.other_homoclave(curp)
                noise.append("curp_homoclave")
            elif (r := r - P_CURP_OLD_HOMOCLAVE) < P_CURP_BAD_CHECK:
                curp = curp[:17] + rng.choice([d for d in "0123456789" if d != curp[17]])
                noise.append("curp_bad_check")
            elif (r := r - P_CURP_BAD_CHECK) < P_CURP_TRANSPOSED:
                i = rng.randrange(4, 15)
                if curp[i] != curp[i + 1]:
                    curp = curp[:i] + curp[i + 1] + curp[i] + curp[i + 2 :]
                    noise.append("curp_transposed")
        else:
            noise.append("missing_curp")
        birth = born.isoformat()
        r = rng.random()
        if r < P_NO_BIRTH:
            birth = ""
            noise.append("missing_birth_date")
        elif (r := r - P_NO_BIRTH) < P_YEAR_ONLY:
            birth = f"{born.year}-07-01" if u.mid_year else f"{born.year}-01-01"
            noise.append("year_only")
        elif (r := r - P_YEAR_ONLY) < P_DAY_MONTH_SWAP and born.day <= 12 and born.day != born.month:
            birth = date(born.year, born.day, born.month).isoformat()
            noise.append("day_month_swap")
        elif r - P_DAY_MONTH_SWAP < P_YEAR_SLIP:
            shift = rng.choice([d for d in (-1, 1, -10, 10) if born.year + d <= 2026])
            birth = date(born.year + shift, born.month, min(born.day, 28)).isoformat()
            noise.append("year_slip")
        given, first, second = self.names(p, noise)
        if u.no_sex:
            sex = ""
            noise.append("missing_sex")
        elif rng.random() < P_SEX_FLIP:
            sex = "H" if sex == "M" else "M"
            noise.append("sex_flip")
        fields = [given, first, second]
        if u.accents:
            fields = [" ".join(ACCENTED.get(w, w) for w in f.split()) for f in fields]
        elif rng.random() < 0.3 and any("Ñ" in f for f in fields):
            fields = [f.replace("Ñ", "N") for f in fields]
            noise.append("enye_as_n")
        if rng.random() < P_EXTRA_SPACES:
            i = rng.randrange(3)
            fields[i] = f" {fields[i].replace(' ', '  ')} "
            noise.append("extra_spaces")
        if u.lower:
            fields = [f.lower() if rng.random() < 0.7 else f.title() for f in fields]
            noise.append("lowercase")
        clues = u.old_clues if u.old_clues and rng.random() < 0.35 else u.clues
        if home is not p.home:
            noise.append("moved")
        exp = u.next_exp
        u.next_exp += 1
        expediente = [
            f"{exp:06d}",
            f"EXP-{exp:05d}",
            f"{2010 + exp % 16}/{exp:05d}",
            f"{u.clues[-4:]}-{exp}",
        ][u.exp_style]
        row = {
            "record_id": rid,
            "curp": curp,
            "nombre": fields[0],
            "primer_apellido": fields[1],
            "segundo_apellido": fields[2],
            "fecha_nacimiento": birth,
            "sexo": sex,
            "entidad": "" if u.no_entidad else home.entidad,
            "municipio": home.postcode if u.postcode else home.municipio,
            "localidad": home.localidad,
            "domicilio": self.address(home, u, noise),
            "telefono": self.phone(home, u, noise),
            "clues": clues,
            "expediente": expediente,
        }
        if u.no_entidad:
            noise.append("missing_entidad")
        if u.postcode:
            noise.append("postcode_as_municipio")
        return row, noise

    def other_homoclave(self, curp: str) -> str:
        pool = "0123456789" if curp[16].isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        return make_curp(curp[:16], self.rng.choice([c for c in pool if c != curp[16]]))

    def names(self, p: Person, noise: list[str]) -> tuple[str, str, str]:
        rng = self.rng
        given, first, second = p.given, p.first, p.second
        words = given.split()
        if (given in NICKNAMES and rng.random() < P_NICKNAME * 3) or (
            words[0] in NICKNAMES and rng.random() < P_NICKNAME
        ):
            given = rng.choice(NICKNAMES.get(given) or NICKNAMES[words[0]])
            noise.append("nickname")
        elif len(words) > 1:
            r = rng.random()
            if r < P_DROP_SECOND_GIVEN:
                given = words[0]
                noise.append("dropped_second_given")
            elif r - P_DROP_SECOND_GIVEN < P_ABBREV_GIVEN:
                if words[0] in ("MARIA", "JOSE"):
                    given = " ".join([{"MARIA": "MA.", "JOSE": "J."}[words[0]], *words[1:]])
                else:
                    given = f"{words[0]} {words[-1][0]}."
                noise.append("abbreviated_given")
        if p.sex == "M" and p.spouse and p.born.year < 1986 and rng.random() < P_MARRIED_DE:
            second = f"DE {p.spouse.first}" if rng.random() < 0.7 else f"{second} DE {p.spouse.first}"
            noise.append("married_de")
        elif rng.random() < P_NO_SECOND_SURNAME:
            second = ""
            noise.append("missing_second_surname")
        if rng.random() < P_SWAP_SURNAMES and second:
            first, second = second, first
            noise.append("swapped_surnames")
        if rng.random() < P_KEY_SLIP:
            fields = [given, first, second]
            i = rng.choice([j for j in range(3) if len(fields[j]) > 2])
            fields[i] = self.slip(fields[i])
            given, first, second = fields
            noise.append("key_slip")
        return given, first, second

    def slip(self, word: str) -> str:
        rng = self.rng
        i = rng.randrange(1, len(word))
        kind = rng.randrange(4)
        if kind == 0:  # a neighbouring key
            for row in KEYBOARD:
                if word[i] in row:
                    j = row.index(word[i])
                    near = [row[k] for k in (j - 1, j + 1) if 0 <= k < len(row)]
                    return word[:i] + rng.choice(near) + word[i + 1 :]
            return word[:i] + word[i + 1 :]
        if kind == 1:
            return word[:i] + word[i + 1 :]
        if kind == 2:
            return word[:i] + word[i] + word[i:]
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]

    def address(self, h: Household, u: Unit, noise: list[str]) -> str:
        rng = self.rng
        if not h.street:
            text = ["DOMICILIO CONOCIDO", "DOM. CONOCIDO", "CONOCIDO", "DOMICILIO CONOCIDO S/N"][
                u.address_style
            ]
        else:
            name = h.street
            text = [
                f"{street_text(h)} {h.number}" + ("" if h.small else f", COL. {h.colonia}"),
                f"C. {name} #{h.number}" + ("" if h.small else f" COL. {h.colonia}"),
                f"{name} No. {h.number}, {h.colonia}",
                f"{name} {h.number}",
            ][u.address_style]
        if rng.random() < 0.08:
            return ""
        if u.address_style:
            noise.append("address_rewritten")
        return text.lower() if u.lower else text

    def phone(self, h: Household, u: Unit, noise: list[str]) -> str:
        rng = self.rng
        if rng.random() < P_NO_PHONE:
            noise.append("missing_phone")
            return ""
        digits = (
            h.phone
            if h.phone and rng.random() < 0.7
            else f"{rng.choice('3579')}{rng.randrange(10**8, 10**9)}"
        )
        if u.phone_style:
            noise.append("formatted_phone")
        return [
            digits,
            f"{digits[:2]} {digits[2:6]} {digits[6:]}",
            f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
            f"+52 {digits}",
            f"044{digits}",
        ][u.phone_style]


__all__ = ["Clerk", "Unit", "build_units", "check_digit", "curp_valid", "roll_row", "unit_rows"]
