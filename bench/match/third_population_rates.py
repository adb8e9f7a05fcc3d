"""Rates and file columns of the third population (``third_population.py``; docs/synth.md, "A third
population"): one place to read what the generator does how often."""

from __future__ import annotations

from datetime import date

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
