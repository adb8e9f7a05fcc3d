"""The command-line frameworks' own words (Click, Typer, argparse) in the process's language.

Those frameworks ask Python's ``gettext`` for every word they print ("Usage:", "No such option", the
help panels' titles). gettext reads a compiled catalogue (``.mo``) from a locale directory and picks the
language from ``LANGUAGE``; so the process's language (``INTEROP_LANGUAGE``, es-MX by default) is set
there, and the es-MX catalogue ships inside the package, compiled from ``framework_es_mx`` by
``python -m interop.messages.framework_words`` (a test keeps the two equal).

Standard library only: the standalone proof verifier uses it too.
"""

from __future__ import annotations

import gettext
import os
import re
import struct
import sys
from pathlib import Path

from interop.messages import framework_es_mx

DOMAIN = "interop-cli"
LOCALE_DIR = Path(__file__).parent / "locale"
CATALOGUE = LOCALE_DIR / "es_MX" / "LC_MESSAGES" / f"{DOMAIN}.mo"

_HEADER = (
    "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\nLanguage: es_MX\n"
)


def compiled() -> bytes:
    """The es-MX catalogue in GNU ``.mo`` form: the header, then every id sorted by its bytes."""
    entries: dict[bytes, bytes] = {b"": _HEADER.encode()}
    for msgid, said in framework_es_mx.WORDS.items():
        entries[msgid.encode()] = said.encode()
    for (singular, plural), (one, many) in framework_es_mx.PLURALS.items():
        entries[f"{singular}\0{plural}".encode()] = f"{one}\0{many}".encode()
    keys = sorted(entries)
    count = len(keys)
    ids_at = 7 * 4
    strs_at = ids_at + count * 8
    data_at = strs_at + count * 8
    tables: list[int] = []
    blob = bytearray()
    for key in keys:
        tables += [len(key), data_at + len(blob)]
        blob += key + b"\0"
    for key in keys:
        value = entries[key]
        tables += [len(value), data_at + len(blob)]
        blob += value + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, count, ids_at, strs_at, 0, data_at)
    return header + struct.pack(f"<{len(tables)}I", *tables) + bytes(blob)


def install(language: str) -> None:
    """Make Click, Typer and argparse speak ``language`` ("es-MX" or "en") in this process."""
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    # LANGUAGE outranks LC_ALL/LANG for gettext alone; English is the frameworks' own text.
    os.environ["LANGUAGE"] = "en" if language.lower().startswith("en") else "es_MX"


# Typer carries its own copy of Click whose error sentences are written out in English, not asked of
# gettext: each is matched whole and said again in es-MX; a sentence not listed stays as it is.
_USAGE_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.S), said)
    for pattern, said in (
        (
            r"No such option: (?P<name>\S+) \(Possible options: (?P<names>.+)\)",
            "No existe la opción {name} (opciones posibles: {names})",
        ),
        (r"No such option: (?P<name>.+)", "No existe la opción {name}"),
        (r"Missing argument (?P<hint>.+?)\.(?: (?P<more>.*))?", "Falta el argumento {hint}.{more}"),
        (r"Missing option (?P<hint>.+?)\.(?: (?P<more>.*))?", "Falta la opción {hint}.{more}"),
        (r"Missing parameter(?::)? (?P<hint>.+?)\.?", "Falta el parámetro {hint}."),
        (r"Invalid value for (?P<hint>.+?): (?P<more>.*)", "Valor no válido para {hint}: {more}"),
        (r"Invalid value: (?P<more>.*)", "Valor no válido: {more}"),
        (r"Got unexpected extra arguments?(?:\(s\))? \((?P<names>.*)\)", "Argumentos que sobran: ({names})"),
        (r"Option (?P<name>.+?) requires an argument\.", "La opción {name} requiere un valor."),
        (r"Option (?P<name>.+?) requires (?P<n>\d+) arguments\.", "La opción {name} requiere {n} valores."),
        (r"Option (?P<name>.+?) does not take a value\.", "La opción {name} no lleva valor."),
        (r"Argument (?P<name>.+?) takes (?P<n>\d+) values\.", "El argumento {name} lleva {n} valores."),
    )
)
_VALUE_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.S), said)
    for pattern, said in (
        (
            r"(?:Value )?(?P<value>.+?) is not a valid integer(?: range)?\.",
            "{value} no es un número entero válido.",
        ),
        (r"(?:Value )?(?P<value>.+?) is not a valid float(?: range)?\.", "{value} no es un número válido."),
        (r"(?:Value )?(?P<value>.+?) is not a valid boolean\.", "{value} no es un valor sí/no válido."),
        (r"(?:Value )?(?P<value>.+?) is not a valid (?P<kind>.+?)\.", "{value} no es un {kind} válido."),
        (r"(?P<value>.+?) is not one of (?P<names>.+)\.", "{value} no es ninguno de estos: {names}."),
        (r"(?P<value>.+?) is not in the range (?P<range>.+)\.", "{value} no está en el intervalo {range}."),
        (r"(?P<kind>File|Directory|Path) (?P<name>.+?) does not exist\.", "No existe {kind} {name}."),
        (r"(?P<kind>File|Directory|Path) (?P<name>.+?) is a file\.", "{kind} {name} es un archivo."),
        (r"(?P<kind>File|Directory|Path) (?P<name>.+?) is a directory\.", "{kind} {name} es una carpeta."),
        (r"(?P<kind>File|Directory|Path) (?P<name>.+?) is not readable\.", "No se puede leer {kind} {name}."),
        (
            r"(?P<kind>File|Directory|Path) (?P<name>.+?) is not writable\.",
            "No se puede escribir {kind} {name}.",
        ),
    )
)
_KINDS = {"File": "el archivo", "Directory": "la carpeta", "Path": "la ruta"}


def usage_error(english: str, language: str, *, detail: str | None = None) -> str:
    """One of the command line's usage errors (``english``, as Typer words it) in ``language``;
    ``detail``, when given, is what is wrong with the value, already in ``language`` (a conversion's
    pydantic error, said by ``messages.validation``)."""
    if language.lower().startswith("en"):
        return english
    for pattern, said in _USAGE_ERRORS:
        found = pattern.fullmatch(english)
        if found:
            parts = {k: v or "" for k, v in found.groupdict().items()}
            if "more" in parts:
                parts["more"] = detail or _value_error(parts["more"])
                if parts["more"] and "{more}" in said and not said.endswith(": {more}"):
                    parts["more"] = " " + parts["more"]
            return said.format(**parts)
    return _value_error(english)


def _value_error(english: str) -> str:
    for pattern, said in _VALUE_ERRORS:
        found = pattern.fullmatch(english)
        if found:
            parts = dict(found.groupdict())
            if "kind" in parts and parts["kind"] in _KINDS:
                parts["kind"] = _KINDS[parts["kind"]]
            words = said.format(**parts)
            return words[:1].upper() + words[1:]
    return english


def main() -> int:
    CATALOGUE.parent.mkdir(parents=True, exist_ok=True)
    CATALOGUE.write_bytes(compiled())
    print(CATALOGUE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
