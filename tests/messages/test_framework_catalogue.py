"""The es-MX catalogue of the command-line frameworks' words ships compiled, equal to its source, and no
translation drops or adds a placeholder (a missing one would raise inside Click's error message)."""

from __future__ import annotations

import gettext
import re

from interop.messages import framework_es_mx, framework_words

_PLACEHOLDER = re.compile(r"\{[^}]*\}|%\([a-z_]+\)[sdr]|%[sdr]")


def test_the_shipped_catalogue_is_compiled_from_its_source() -> None:
    assert framework_words.CATALOGUE.read_bytes() == framework_words.compiled(), (
        "run: python -m interop.messages.framework_words"
    )


def test_translations_keep_every_placeholder() -> None:
    pairs = list(framework_es_mx.WORDS.items())
    for (one_id, many_id), (one, many) in framework_es_mx.PLURALS.items():
        pairs += [(one_id, one), (many_id, many)]
    for msgid, said in pairs:
        assert sorted(_PLACEHOLDER.findall(msgid)) == sorted(_PLACEHOLDER.findall(said)), msgid


def test_gettext_reads_words_and_plurals_from_the_catalogue() -> None:
    with framework_words.CATALOGUE.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.gettext("Options") == "Opciones"
    assert catalogue.gettext("usage: ") == "uso: "
    one, many = "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."
    assert catalogue.ngettext(one, many, 1) == "La opción {name!r} requiere un argumento."
    assert catalogue.ngettext(one, many, 3) == "La opción {name!r} requiere {nargs} argumentos."


def test_usage_errors_are_said_again_in_spanish_and_left_alone_in_english() -> None:
    said = framework_words.usage_error
    assert said("No such option: --x (Possible options: --xa, --xb)", "es-MX") == (
        "No existe la opción --x (opciones posibles: --xa, --xb)"
    )
    assert said("Missing option '--out'.", "es-MX") == "Falta la opción '--out'."
    assert said("Option '--out' requires an argument.", "es-MX") == "La opción '--out' requiere un valor."
    assert said("Invalid value for 'FILE': File 'a.csv' does not exist.", "es-MX") == (
        "Valor no válido para 'FILE': No existe el archivo 'a.csv'."
    )
    assert said("Invalid value for '-n': x", "es-MX", detail="debe ser un número entero") == (
        "Valor no válido para '-n': debe ser un número entero"
    )
    assert said("Something new a release wrote.", "es-MX") == "Something new a release wrote."
    assert said("No such option: --x", "en") == "No such option: --x"
