"""The command-line frameworks' own words in es-MX: Click and Typer (usage, option errors, help panels)
and argparse (the standalone proof verifier). Keys are the frameworks' English gettext message ids,
exactly as they write them; the placeholders stay as they are."""

from __future__ import annotations

WORDS: dict[str, str] = {
    # Click and Typer
    "Usage:": "Uso:",
    "Options": "Opciones",
    "Arguments": "Argumentos",
    "Positional arguments": "Argumentos posicionales",
    "Commands": "Comandos",
    "Error": "Error",
    "Error: {message}": "Error: {message}",
    "Aborted!": "¡Cancelado!",
    "Aborted.": "Cancelado.",
    "Show this message and exit.": "Mostrar este mensaje y salir.",
    "Install completion for the current shell.": "Instalar el autocompletado para el shell actual.",
    "Show completion for the current shell, to copy it or customize the installation.": (
        "Mostrar el autocompletado para el shell actual, para copiarlo o ajustar la instalación."
    ),
    "Show the version and exit.": "Mostrar la versión y salir.",
    "%(prog)s, version %(version)s": "%(prog)s, versión %(version)s",
    "Do you want to continue?": "¿Desea continuar?",
    "Confirm the action without prompting.": "Confirmar la acción sin preguntar.",
    "Missing command.": "Falta el comando.",
    "Missing argument": "Falta un argumento",
    "Missing option": "Falta una opción",
    "Missing parameter": "Falta un parámetro",
    "Missing parameter: {param_name}": "Falta el parámetro: {param_name}",
    "Missing {param_type}": "Falta {param_type}",
    "No such option {name!r}.": "No existe la opción {name!r}.",
    "No such command {name!r}.": "No existe el comando {name!r}.",
    "Try '{command} {option}' for help.": "Pruebe '{command} {option}' para ver la ayuda.",
    "Try [blue]'{command_path} {help_option}'[/] for help.": (
        "Pruebe [blue]'{command_path} {help_option}'[/] para ver la ayuda."
    ),
    "Invalid value for {param_hint}: {message}": "Valor no válido para {param_hint}: {message}",
    "Invalid value: {message}": "Valor no válido: {message}",
    "unknown error": "error desconocido",
    "Could not open file {filename!r}: {message}": "No se pudo abrir el archivo {filename!r}: {message}",
    "Option {name!r} does not take a value.": "La opción {name!r} no lleva valor.",
    "Argument {name!r} takes {nargs} values.": "El argumento {name!r} lleva {nargs} valores.",
    "Invalid start character for option ({option})": "Carácter inicial no válido para una opción ({option})",
    "Value must be an iterable.": "El valor debe ser una colección.",
    "Press any key to continue...": "Pulse cualquier tecla para continuar...",
    "Repeat for confirmation": "Repita para confirmar",
    "Error: The two entered values do not match.": "Error: los dos valores escritos no coinciden.",
    "Error: invalid input": "Error: entrada no válida",
    "required": "obligatorio",
    "[required]": "[obligatorio]",
    "deprecated": "obsoleto",
    "(deprecated) ": "(obsoleto) ",
    "default: {default}": "predeterminado: {default}",
    "[default: {}]": "[predeterminado: {}]",
    "env var: {var}": "variable de entorno: {var}",
    "[env var: {}]": "[variable de entorno: {}]",
    "(dynamic)": "(dinámico)",
    "file": "archivo",
    "directory": "carpeta",
    "path": "ruta",
    "Choose from:\n\t{choices}": "Elija entre:\n\t{choices}",
    "{value} is not in the range {range}.": "{value} no está en el intervalo {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} no es un valor booleano válido. Valores reconocidos: {states}"
    ),
    "{value!r} is not a valid {number_type}.": "{value!r} no es un {number_type} válido.",
    "{value!r} is not a valid UUID.": "{value!r} no es un UUID válido.",
    "{name} {filename!r} is a file.": "{name} {filename!r} es un archivo.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} es una carpeta.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} no se puede leer.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} no se puede escribir.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} no se puede ejecutar.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} no existe.",
    # argparse
    "usage: ": "uso: ",
    "positional arguments": "argumentos posicionales",
    "options": "opciones",
    "show this help message and exit": "mostrar este mensaje de ayuda y salir",
    "%(prog)s: error: %(message)s\n": "%(prog)s: error: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argumento %(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "argumentos no reconocidos: %s",
    "the following arguments are required: %s": "faltan los argumentos obligatorios: %s",
    "one of the arguments %s is required": "se requiere uno de los argumentos %s",
    "ambiguous option: %(option)s could match %(matches)s": (
        "opción ambigua: %(option)s podría ser %(matches)s"
    ),
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "opción no válida: %(value)r (elija entre %(choices)s)"
    ),
    "can't open '%(filename)s': %(error)s": "no se puede abrir '%(filename)s': %(error)s",
    "expected one argument": "se esperaba un argumento",
    "expected at most one argument": "se esperaba como máximo un argumento",
    "expected at least one argument": "se esperaba al menos un argumento",
    "invalid %(type)s value: %(value)r": "valor %(type)s no válido: %(value)r",
    "not allowed with argument %s": "no se permite junto con el argumento %s",
    "ignored explicit argument %r": "argumento explícito ignorado %r",
}

# Plural forms: (singular id, plural id) -> (singular, plural) in es-MX.
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "Argumento adicional inesperado ({args})",
        "Argumentos adicionales inesperados ({args})",
    ),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
        "Lleva {nargs} valores pero se dio 1.",
        "Lleva {nargs} valores pero se dieron {len}.",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "La opción {name!r} requiere un argumento.",
        "La opción {name!r} requiere {nargs} argumentos.",
    ),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
        "¿Quiso decir {possibility}?",
        "(¿Quiso decir una de estas: {possibilities}?)",
    ),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
        "{value!r} no es {choice}.",
        "{value!r} no es una de estas: {choices}.",
    ),
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."): (
        "{value!r} no tiene el formato {format}.",
        "{value!r} no tiene ninguno de los formatos {formats}.",
    ),
    (
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ): (
        "Se requieren {len_type} valores, pero se dio {len_value}.",
        "Se requieren {len_type} valores, pero se dieron {len_value}.",
    ),
    ("expected %s argument", "expected %s arguments"): (
        "se esperaba %s argumento",
        "se esperaban %s argumentos",
    ),
}
