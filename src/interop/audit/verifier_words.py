"""The standalone verifier's words, es-MX first and English on request. Standard library only, like the
verifier (:mod:`interop.audit.verify_proof`): an auditor copies both out and runs them with the public key
alone, so they cannot read the service's message catalogue.

The language is ``INTEROP_LANGUAGE``'s (``en`` or ``en-*`` for English; anything else, or nothing, es-MX),
the same setting the ``interop`` command reads. Not ``LANG``: servers often run with an English locale
nobody chose.
"""

from __future__ import annotations

import os

SPANISH, ENGLISH = "es-MX", "en"

# key → (es-MX, en). Parameters are sizes, indexes, key ids and element names, never an entry's content.
WORDS: dict[str, tuple[str, str]] = {
    "not_base64_string": ("{what} no es una cadena base64", "{what} is not a base64 string"),
    "not_base64": ("{what} no es base64 válido", "{what} is not base64"),
    "key_size": ("una clave Ed25519 mide 32 bytes", "an Ed25519 key is 32 bytes"),
    "kid_mismatch": ("el id de clave {kid} no corresponde a su clave", "key id {kid} does not match its key"),
    "no_key": ("el documento de claves no trae ninguna clave Ed25519", "no Ed25519 key in the keys document"),
    "no_checkpoint": ("la cabeza no trae el cuerpo de su checkpoint", "the head has no checkpoint body"),
    "unknown_key": (
        "la cabeza está firmada con una clave desconocida {kid}",
        "the head is signed by an unknown key {kid}",
    ),
    "bad_signature": ("la firma de la cabeza no se verifica", "the head's signature does not verify"),
    "malformed_checkpoint": ("checkpoint mal formado: {detail}", "malformed checkpoint: {detail}"),
    "size_differs": (
        "el tree_size de la cabeza difiere del de su checkpoint firmado",
        "the head's tree_size differs from its signed checkpoint",
    ),
    "root_differs": (
        "el root_hash de la cabeza difiere del de su checkpoint firmado",
        "the head's root_hash differs from its signed checkpoint",
    ),
    "no_hashes": ("la prueba no trae hashes", "the proof has no hashes"),
    "hash_size": ("un hash de la prueba no mide 32 bytes", "a proof hash is not 32 bytes"),
    "other_index": (
        "la prueba es de otro índice que el de la entrada",
        "the proof is for another index than the entry",
    ),
    "other_size": (
        "la prueba es de otro tamaño de árbol que el de la cabeza",
        "the proof is for another tree size than the head",
    ),
    "not_included": (
        "la entrada {index} no está incluida en el árbol de tamaño {size}",
        "entry {index} is not included in the tree of size {size}",
    ),
    "other_logs": ("las cabezas son de bitácoras distintas", "the heads are of different logs"),
    "other_sizes": (
        "la prueba es de otros tamaños de árbol que los de las cabezas",
        "the proof is for other tree sizes than the heads",
    ),
    "not_extension": (
        "el árbol de tamaño {second} no es una extensión del árbol de tamaño {first}",
        "the tree of size {second} is not an extension of the tree of size {first}",
    ),
    "export_shape": (
        "una exportación empieza con su encabezado y termina con una cabeza firmada",
        "an export starts with its header and ends with a signed head",
    ),
    "header_mismatch": (
        "el encabezado no describe las entradas que le siguen",
        "the header does not describe the entries that follow",
    ),
    "entry_missing": (
        "la entrada {index} falta o está fuera de lugar",
        "entry {index} is missing or out of place",
    ),
    "export_sizes": (
        "la prueba de consistencia es de otros tamaños de árbol que los de la exportación",
        "the consistency proof is for other tree sizes than the export",
    ),
    "export_altered": (
        "las entradas no son las hojas {first}…{last} del árbol firmado de tamaño {size} (una alterada, "
        "quitada, añadida o reordenada)",
        "the entries are not the leaves {first}…{last} of the signed tree of size {size} (one altered, "
        "removed, added or reordered)",
    ),
    # What a base64 value is, for not_base64 / not_base64_string.
    "what.signature": ("la firma", "the signature"),
    "what.root_hash": ("el hash raíz", "the root hash"),
    "what.proof_hash": ("un hash de la prueba", "a proof hash"),
    "what.leaf": ("la hoja", "the leaf"),
    "what.left_hash": ("un hash de subárbol izquierdo", "a left subtree hash"),
    # The command's own lines.
    "ok.head": ("OK cabeza: {origin}, tamaño {size}", "OK head: {origin} size {size}"),
    "ok.entry": (
        "OK la entrada {index} está en {origin} de tamaño {size}",
        "OK entry {index} is in {origin} at size {size}",
    ),
    "ok.export": (
        "OK {count} entradas están en {origin} de tamaño {size}",
        "OK {count} entries are in {origin} at size {size}",
    ),
    "ok.consistency": (
        "OK {origin}: el tamaño {second} extiende el tamaño {first}",
        "OK {origin}: size {second} extends size {first}",
    ),
    "failed": ("FALLÓ: {reason}", "FAILED: {reason}"),
    "unreadable": (
        "no se pudo leer un documento ({kind}); ¿es el JSON que devuelve la API?",
        "a document could not be read ({kind}); is it the JSON the API returns?",
    ),
    "help.head": ("revisa una cabeza de árbol firmada", "check a signed tree head"),
    "help.inclusion": (
        "revisa que una entrada esté en un árbol firmado",
        "check that an entry is in a signed tree",
    ),
    "help.consistency": (
        "revisa que un árbol firmado solo haya crecido desde uno anterior",
        "check that a signed tree only grew from an older one",
    ),
    "help.export": (
        "revisa una exportación NDJSON contra su cabeza firmada",
        "check an NDJSON export against its signed head",
    ),
    "help.description": (
        "Verificador independiente para auditores: cabezas firmadas y pruebas de inclusión y consistencia, "
        "con la clave pública sola.",
        "Standalone verifier for auditors: signed tree heads, inclusion and consistency proofs, with the "
        "public key alone.",
    ),
}


def language() -> str:
    """The process's language: ``INTEROP_LANGUAGE``, es-MX by default."""
    chosen = os.environ.get("INTEROP_LANGUAGE", "").strip().lower()
    return ENGLISH if chosen == "en" or chosen.startswith("en-") else SPANISH


def say(key: str, lang: str | None = None, **params: object) -> str:
    """The words ``key`` in ``lang`` (the process's when not given), ``params`` filled in."""
    spanish, english = WORDS[key]
    return (english if (lang or language()) == ENGLISH else spanish).format(**params)
