"""The command line speaks es-MX first: every command's and option's help comes from the catalogue, and
``INTEROP_LANGUAGE=en`` switches help and output to English."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer.main

from interop.cli import app
from interop.messages import en, es_mx

INTEROP = [sys.executable, "-m", "interop.cli"]


def _helps(command: Any, path: str = "interop") -> dict[str, str]:
    found = {path: command.help or ""}
    for param in command.params:
        if param.name != "help" and not param.name.endswith("completion"):
            found[f"{path} {param.name}"] = getattr(param, "help", None) or ""
    for name, sub in getattr(command, "commands", {}).items():
        found.update(_helps(sub, f"{path} {name}"))
    return found


def test_every_help_text_is_the_catalogues_spanish() -> None:
    spanish = set(es_mx.MESSAGES.values())
    helps = _helps(typer.main.get_command(app))
    assert len(helps) > 80
    missing = {where: said for where, said in helps.items() if said not in spanish}
    assert not missing, missing


def _run(*args: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "INTEROP_LANGUAGE"}
    done = subprocess.run(
        [*INTEROP, *args], env={**base, "COLUMNS": "400", **env}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_help_follows_interop_language() -> None:
    spanish = _run("users", "add", "--help")
    assert es_mx.MESSAGES["cli.help.users.add"] in spanish
    assert es_mx.MESSAGES["cli.help.users.totp"] in spanish
    english = _run("users", "add", "--help", INTEROP_LANGUAGE="en")
    assert en.MESSAGES["cli.help.users.add"] in english
    assert en.MESSAGES["cli.help.users.totp"] in english
    assert es_mx.MESSAGES["cli.help.users.totp"] not in english


def test_a_refusal_follows_interop_language(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("INTEROP_LANGUAGE", "DATABASE_URL")}
    env = {**base, "INTEROP_DATA_DIR": str(tmp_path / "data"), "INTEROP_EMBEDDED_ALLOW_UNSAFE": "true"}
    spanish = subprocess.run(
        [*INTEROP, "users", "disable", "nobody"], env=env, capture_output=True, text=True, check=False
    )
    english = subprocess.run(
        [*INTEROP, "users", "disable", "nobody"],
        env={**env, "INTEROP_LANGUAGE": "en"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert spanish.returncode == english.returncode == 1
    assert es_mx.MESSAGES["accounts.not_found"] in spanish.stderr
    assert en.MESSAGES["accounts.not_found"] in english.stderr


def _refused(*args: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in ("INTEROP_LANGUAGE", "LANGUAGE")}
    done = subprocess.run(
        [*INTEROP, *args], env={**base, "COLUMNS": "400", **env}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2, done.stdout + done.stderr
    return done.stderr


def test_the_frameworks_own_words_follow_interop_language() -> None:
    spanish = _run("users", "--help", LANG="en_US.UTF-8")
    assert "Opciones" in spanish
    assert "Comandos" in spanish
    assert "Options" not in spanish
    english = _run("users", "--help", INTEROP_LANGUAGE="en")
    assert "Options" in english
    assert "Commands" in english
    assert "Opciones" not in english
    assert "para ver la ayuda" in _refused("match", "run", "--no-such-flag")
    assert "for help" in _refused("match", "run", "--no-such-flag", INTEROP_LANGUAGE="en")


def test_usage_errors_follow_interop_language() -> None:
    """Typer's own copy of Click writes these in English whatever gettext says (they were English)."""
    assert "No existe la opción --no-such-flag" in _refused("match", "run", "--no-such-flag")
    assert "Falta el argumento 'event'." in _refused("audit", "prove")
    assert "Valor no válido para '--people': debe ser un número entero" in _refused("synth", "--people", "x")
    assert "Argumentos que sobran: (extra)" in _refused("match", "run", "extra")
    english = _refused("synth", "--people", "x", INTEROP_LANGUAGE="en")
    assert "Invalid value for '--people'" in english
    assert "No such option: --no-such-flag" in _refused(
        "match", "run", "--no-such-flag", INTEROP_LANGUAGE="en"
    )


def test_the_usage_line_and_the_framework_made_options_follow_interop_language() -> None:
    """Typer writes "Usage:", the help option's and the shell-completion options' help out in English
    (not through gettext): they were English in a Spanish help page."""
    spanish = _run("--help")
    assert "Uso: python -m interop.cli" in spanish
    assert "Mostrar este mensaje y salir." in spanish
    assert "Instalar el autocompletado para el shell actual." in spanish
    for english_word in ("Usage:", "Show this message", "Install completion", "Show completion"):
        assert english_word not in spanish, english_word
    sub = _run("match", "run", "--help")
    assert "Uso: python -m interop.cli match run" in sub
    assert "Mostrar este mensaje y salir." in sub
    assert "Uso: python -m interop.cli match run" in _refused("match", "run", "--no-such-flag")
    english = _run("--help", INTEROP_LANGUAGE="en")
    assert "Usage: python -m interop.cli" in english
    assert "Show this message and exit." in english
    assert "Install completion for the current shell." in english
    assert "Uso:" not in english
