"""The words of a review page's records and evidence: the CSV fields, the sources, and the model's
comparisons and levels (whose names are identifiers in the trained settings), es-MX first, English
second, registered in the pages' catalogue under ``evidence.*``."""

from __future__ import annotations

from interop.web import messages
from interop.web.case_words import word

_FIELDS = {  # CSV column: (es-MX, en)
    "curp": ("CURP", "CURP"),
    "nombre": ("Nombre(s)", "Given names"),
    "primer_apellido": ("Primer apellido", "First surname"),
    "segundo_apellido": ("Segundo apellido", "Second surname"),
    "fecha_nacimiento": ("Fecha de nacimiento", "Date of birth"),
    "sexo": ("Sexo", "Sex"),
    "entidad": ("Entidad", "Entidad (state)"),
    "municipio": ("Municipio", "Municipio"),
    "localidad": ("Localidad", "Localidad"),
    "domicilio": ("Domicilio", "Address"),
    "programa": ("Programa", "Programme"),
    "clues": ("CLUES", "CLUES"),
    "expediente": ("Expediente", "Expediente (record number)"),
}
_SOURCES = {
    "roll": ("Padrón", "Pension roll"),
    "registry": ("Registro clínico", "Clinic registry"),
    "visit": ("Visita", "Home visit"),
}
_COMPARISONS = {  # the model's comparison: (es-MX, en)
    "curp": ("CURP", "CURP"),
    "given": ("Nombre(s)", "Given names"),
    "paternal": ("Primer apellido", "First surname"),
    "maternal": ("Segundo apellido", "Second surname"),
    "birth_date": ("Fecha de nacimiento", "Date of birth"),
    "sex": ("Sexo", "Sex"),
    "place": ("Lugar", "Place"),
    "place_local": ("Lugar (municipio y localidad)", "Place (municipio and localidad)"),
    "address": ("Domicilio", "Address"),
}
_LEVELS = {  # the level of a comparison a pair reached: (es-MX, en)
    "missing": ("falta el dato", "missing"),
    "missing maternal surname": ("falta el segundo apellido", "second surname missing"),
    "exact": ("idéntico", "exact"),
    "else": ("no coincide", "no agreement"),
    "exact, given names unrelated": ("idéntica, con nombres sin relación", "exact, given names unrelated"),
    "same first 16": ("iguales los primeros 16 caracteres", "same first 16 characters"),
    "one edit": ("difiere en un carácter", "one character apart"),
    "recomputed from the other record": (
        "coincide con la calculada del otro registro",
        "recomputed from the other record",
    ),
    "all exact": ("todos idénticos", "all exact"),
    "main exact": ("el primero idéntico", "first given name exact"),
    "main mistyped": ("el primero con un error de escritura", "first given name mistyped"),
    "nickname": ("hipocorístico (apodo)", "nickname"),
    "share a name": ("comparten un nombre", "share a name"),
    "MARIA or JOSE alone": (
        "MARÍA o JOSÉ solo, por el nombre compuesto",
        "MARIA or JOSE alone, for the compound name",
    ),
    "swapped with the first surname": (
        "intercambiado con el primer apellido",
        "swapped with the first surname",
    ),
    "as the surname of the other": ("es el apellido del otro", "as the surname of the other"),
    "surnames swapped": ("apellidos intercambiados", "surnames swapped"),
    "mistyped": ("con un error de escritura", "mistyped"),
    "crossed": ("cruzado con el otro apellido", "crossed with the other surname"),
    "swapped with the given name": ("intercambiado con el nombre", "swapped with the given name"),
    "day and month swapped": ("día y mes intercambiados", "day and month swapped"),
    "year one apart": ("el año difiere en uno", "year one apart"),
    "within a month": ("a menos de un mes", "within a month"),
    "one digit": ("difiere en un dígito", "one digit apart"),
    "year only, same year": ("solo el año, el mismo", "year only, same year"),
    "same localidad": ("misma localidad", "same localidad"),
    "same municipio": ("mismo municipio", "same municipio"),
    "same entidad": ("misma entidad", "same entidad"),
    "same localidad, another municipio": (
        "misma localidad, otro municipio",
        "same localidad, another municipio",
    ),
    "close": ("parecido", "close"),
    "same words, another order": ("mismas palabras, en otro orden", "same words, another order"),
    "one holds the other": ("uno contiene al otro", "one holds the other"),
}

messages.add(
    {
        **{f"evidence.field.{k}": v[0] for k, v in _FIELDS.items()},
        **{f"evidence.source.{k}": v[0] for k, v in _SOURCES.items()},
        **{f"evidence.comparison.{k}": v[0] for k, v in _COMPARISONS.items()},
        **{f"evidence.level.{k}": v[0] for k, v in _LEVELS.items()},
    },
    {
        **{f"evidence.field.{k}": v[1] for k, v in _FIELDS.items()},
        **{f"evidence.source.{k}": v[1] for k, v in _SOURCES.items()},
        **{f"evidence.comparison.{k}": v[1] for k, v in _COMPARISONS.items()},
        **{f"evidence.level.{k}": v[1] for k, v in _LEVELS.items()},
    },
)


def name_of(kind: str, name: str, language: str) -> str:
    """``name`` (a field, source, comparison or level) in ``language``; a name the catalogue does not
    hold (a layout's own level, say) is shown as it is rather than as a key."""
    return word(language, f"evidence.{kind}.{name}", name)
