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


def main() -> int:
    CATALOGUE.parent.mkdir(parents=True, exist_ok=True)
    CATALOGUE.write_bytes(compiled())
    print(CATALOGUE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
