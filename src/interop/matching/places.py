"""Where a person lives: the place (entidad, municipio, localidad) and address comparisons. Pure; part of
the model's shape (``spec.COMPARISONS``)."""

from __future__ import annotations

from interop.matching.distances import holds_words, levenshtein, same_words
from interop.matching.levels import Comparison, Level
from interop.matching.levels import else_level as _else
from interop.matching.levels import null_level as _null

PLACE = Comparison(
    "place",
    "Entidad, municipio and localidad",
    (
        _null(
            "missing",
            "entidad_l IS NULL OR entidad_r IS NULL",
            lambda a, b: a.entidad is None or b.entidad is None,
        ),
        Level(
            "same localidad",
            "entidad_l = entidad_r AND municipio_l = municipio_r AND localidad_l = localidad_r",
            lambda a, b: (
                a.entidad == b.entidad
                and a.municipio is not None
                and a.municipio == b.municipio
                and a.localidad is not None
                and a.localidad == b.localidad
            ),
        ),
        Level(
            "same municipio",
            "entidad_l = entidad_r AND municipio_l = municipio_r",
            lambda a, b: a.entidad == b.entidad and a.municipio is not None and a.municipio == b.municipio,
        ),
        Level("same entidad", "entidad_l = entidad_r", lambda a, b: a.entidad == b.entidad),
        _else(),
    ),
)

# The place when no record has an entidad (a source that writes a postcode in ``municipio``): the
# same levels, on municipio and localidad alone (``layout.comparisons_for``).
PLACE_LOCAL = Comparison(
    "place_local",
    "Municipio and localidad (no entidad in the data)",
    (
        _null(
            "missing",
            "municipio_l IS NULL OR municipio_r IS NULL",
            lambda a, b: a.municipio is None or b.municipio is None,
        ),
        Level(
            "same localidad",
            "municipio_l = municipio_r AND localidad_l = localidad_r",
            lambda a, b: (
                a.municipio == b.municipio and a.localidad is not None and a.localidad == b.localidad
            ),
        ),
        Level("same municipio", "municipio_l = municipio_r", lambda a, b: a.municipio == b.municipio),
        # A postcode (or municipio) mistyped under the same locality name: evidence, weaker than both.
        Level(
            "same localidad, another municipio",
            "localidad_l = localidad_r",
            lambda a, b: a.localidad is not None and a.localidad == b.localidad,
        ),
        _else(),
    ),
)


def _close_address(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return levenshtein(a, b) <= min(3, min(len(a), len(b)) // 4)


# The levels of an address as written, shared by both layouts' address comparisons.
_ADDRESS_WRITTEN = (
    _null(
        "missing",
        "domicilio_l IS NULL OR domicilio_r IS NULL",
        lambda a, b: a.domicilio is None or b.domicilio is None,
    ),
    Level("exact", "domicilio_l = domicilio_r", lambda a, b: a.domicilio == b.domicilio),
    Level(
        "close",
        # Up to three slips, and no more than one per four characters: '9' and '5' (a house number
        # alone) are two addresses, not one mistyped.
        "levenshtein(domicilio_l, domicilio_r) "
        "<= least(3, floor(least(length(domicilio_l), length(domicilio_r)) / 4))",
        lambda a, b: _close_address(a.domicilio, b.domicilio),
    ),
)

ADDRESS = Comparison(
    "address",
    "Domicilio: exact, close",
    (
        *_ADDRESS_WRITTEN,
        _else(),
    ),
)

# The address where no record has an entidad (``layout.comparisons_for``; the same name, so a model of
# either layout scores through this one): also reworded — an address written in another word order (the
# number first or last, a building before or after the street) or in part (the street without the
# number, the number alone). With an entidad (the Mexican layouts, whose households hold a shared
# address to a few bits) these levels were measured to cost recall (kin population, 30,000 people: 20
# fewer true automatic links of 20,391 pairs, the "else" level losing the reworded true pairs while the
# levels themselves stay capped): they are left out there.
ADDRESS_LOCAL = Comparison(
    "address",
    "Domicilio: exact, close, the same words in another order, one holding the other",
    (
        *_ADDRESS_WRITTEN,
        # An address is written in many orders (number first or last, a building name before or after
        # the street) and often in part (the street without the number, the number alone).
        Level(
            "same words, another order",
            "list_sort(string_split(domicilio_l, ' ')) = list_sort(string_split(domicilio_r, ' '))",
            lambda a, b: same_words(a.domicilio, b.domicilio),
        ),
        Level(
            "one holds the other",
            "strpos(' ' || domicilio_l || ' ', ' ' || domicilio_r || ' ') > 0 "
            "OR strpos(' ' || domicilio_r || ' ', ' ' || domicilio_l || ' ') > 0",
            lambda a, b: holds_words(a.domicilio, b.domicilio),
        ),
        _else(),
    ),
)
