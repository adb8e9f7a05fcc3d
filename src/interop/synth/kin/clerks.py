"""How clerks write a person: one record of one source, with the kin error model.

``write_record`` returns the record's identity columns and the error kinds applied (``noise.csv``).
Pure; every choice comes from the ``random.Random`` it is given.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from interop.synth.geography import Geography
from interop.synth.kin.model import ClerkErrors
from interop.synth.kin.names import KEYBOARD, NICKNAMES
from interop.synth.kin.people import Address, Person, other_homoclave
from interop.synth.states import STATE_CODES

PARTICLES = {"DE", "DEL", "LA", "LOS", "LAS", "Y"}


@dataclass(frozen=True, slots=True)
class Household:
    """Lookups a clerk needs beyond the person: everyone (for relatives) and the places."""

    people: list[Person]
    geo: Geography


def plain(text: str) -> str:
    """Upper case without accents, Ñ kept (how most systems store names)."""
    out = []
    for ch in text:
        if ch in "ÑñÜü":
            out.append("Ñ" if ch in "Ññ" else "U")
        else:
            out.append(unicodedata.normalize("NFD", ch)[0])
    return "".join(out).upper()


def render_address(a: Address, style: int) -> str:
    n = a.number
    street = a.street
    return (
        f"CALLE {street} {n}",
        f"{street} #{n}",
        f"C. {street} NUM. {n}, COL. {a.colonia}",
        f"{street} {n} COL {a.colonia}",
        f"AV. {street} NO. {n}",
        f"{street} NÚMERO {n}" if n != "S/N" else f"{street} SIN NÚMERO",
    )[style % 6]


def keyboard_slip(value: str, rng: random.Random) -> str:
    """One slip: an adjacent key, a doubled letter or a dropped letter."""
    letters = [i for i, ch in enumerate(value) if ch.isalpha()]
    if len(letters) < 3:
        return value
    i = rng.choice(letters[1:])
    kind = rng.random()
    if kind < 0.6:
        near = KEYBOARD.get(plain(value[i]), "")
        return value[:i] + rng.choice(near) + value[i + 1 :] if near else value
    if kind < 0.8:
        return value[:i] + value[i] + value[i:]
    return value[:i] + value[i + 1 :]


def drop_particles(surname: str) -> str:
    """DE LA CRUZ → CRUZ, DEL ÁNGEL → ÁNGEL, MONTES DE OCA → MONTES."""
    words = surname.split()
    if len(words) < 2:
        return surname
    if words[0] in PARTICLES:
        rest = [w for w in words if w not in PARTICLES]
        return rest[0] if rest else surname
    return words[0]


def nickname(given: str) -> str | None:
    for word in given.split():
        if word in NICKNAMES:
            return NICKNAMES[word]
    return None


def _date_digit_typo(born: str, rng: random.Random) -> str:
    """One digit of the year's last place or the day's last place typed wrong (a valid date)."""
    y, m, d = born.split("-")
    if rng.random() < 0.6:
        y = y[:3] + rng.choice([c for c in "0123456789" if c != y[3]])
    else:
        choices = [c for c in "0123456789" if c != d[1] and 1 <= int(d[0] + c) <= 28]
        if choices:
            d = d[0] + rng.choice(choices)
    return f"{y}-{m}-{d}"


def write_record(
    rng: random.Random, hh: Household, p: Person, cfg: ClerkErrors
) -> tuple[dict[str, str], list[str]]:
    kinds: list[str] = []

    def hit(rate: float, kind: str) -> bool:
        if rate and rng.random() < rate:
            kinds.append(kind)
            return True
        return False

    relatives = [hh.people[r] for r in p.relatives]
    doc = p
    if relatives and hit(cfg.other_document, "other_document"):
        doc = rng.choice(relatives)  # birth date, sex and CURP read off a relative's document
    curp = doc.curp
    if hit(cfg.missing_curp, "missing_curp"):
        curp = ""
    elif relatives and hit(cfg.curp_of_relative, "curp_of_relative"):
        curp = rng.choice(relatives).curp
    elif hit(cfg.homoclave_diff, "homoclave_diff"):
        curp = other_homoclave(curp, p.index)  # one person's second CURP, always the same one
    born = doc.birth.isoformat()
    if doc.birth.year < 1970 and hit(cfg.year_only_date, "year_only_date"):
        born = f"{doc.birth.year}-01-01" if rng.random() < 0.7 else ""
    elif hit(cfg.date_digit_typo, "date_digit_typo"):
        born = _date_digit_typo(born, rng)

    given, paternal, maternal = p.given, p.paternal, p.maternal
    nick = nickname(given)
    if nick and hit(cfg.nickname, "nickname"):
        given = nick
    elif len(given.split()) == 2 and hit(cfg.given_order, "given_order"):
        given = " ".join(reversed(given.split()))
    if p.sex == "M" and p.spouse >= 0 and hit(cfg.married_name, "married_name"):
        maternal = f"DE {hh.people[p.spouse].paternal}"
    elif maternal and hit(cfg.missing_maternal, "missing_maternal"):
        maternal = ""
    if (" " in paternal or " " in maternal) and hit(cfg.particle_dropped, "particle_dropped"):
        paternal, maternal = drop_particles(paternal), drop_particles(maternal) if maternal else ""
    if hit(cfg.keyboard_typo, "keyboard_typo"):
        which = rng.randrange(3)
        if which == 0:
            given = keyboard_slip(given, rng)
        elif which == 1 or not maternal:
            paternal = keyboard_slip(paternal, rng)
        else:
            maternal = keyboard_slip(maternal, rng)
    names = [given, paternal, maternal]
    accents = rng.random() < cfg.accents
    if not accents:
        names = [plain(v) for v in names]
    if rng.random() < cfg.title_case:
        names = [v.title() for v in names]

    address = render_address(p.address, p.address.style)
    if hit(cfg.address_rewritten, "address_rewritten"):
        address = render_address(p.address, p.address.style + 1 + rng.randrange(5))
    if not accents:
        address = plain(address)
    geo = hh.geo
    sexo = doc.sex
    if hit(cfg.missing_sex, "missing_sex"):
        sexo = ""
    municipio = str(geo.mun_name[geo.loc_mun[p.locality]])
    localidad = str(geo.loc_name[p.locality])
    if not accents:
        municipio, localidad = plain(municipio), plain(localidad)
    row = {
        "curp": curp,
        "nombre": names[0],
        "primer_apellido": names[1],
        "segundo_apellido": names[2],
        "fecha_nacimiento": born,
        "sexo": sexo,
        "entidad": STATE_CODES[p.state],
        "municipio": municipio,
        "localidad": localidad,
        "domicilio": address,
        "telefono": "" if hit(cfg.missing_phone, "missing_phone") else p.phone,
    }
    return row, kinds
