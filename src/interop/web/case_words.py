"""The words of an auditor's case file (the timeline on the page and the PDF): es-MX first, English
second, registered in the pages' catalogue under ``casefile.*``."""

from __future__ import annotations

from interop.web import messages

_ACTIONS_ES = {"C": "creó", "R": "leyó", "U": "cambió", "D": "borró", "E": "ejecutó"}
_ACTIONS_EN = {"C": "created", "R": "read", "U": "changed", "D": "deleted", "E": "ran"}
_SUBTYPES = {  # subtype: (es-MX, en)
    "create": ("registro", "record"),
    "read": ("consulta", "read"),
    "vread": ("consulta de versión", "version read"),
    "search-type": ("búsqueda", "search"),
    "search": ("búsqueda", "search"),
    "update": ("actualización", "update"),
    "patch": ("actualización", "update"),
    "transaction": ("envío (transacción)", "submission (transaction)"),
    "decision": ("decisión de identidad", "identity decision"),
    "login": ("inicio de sesión", "sign-in"),
    "export": ("exportación", "export"),
    "operation": ("operación", "operation"),
    "history-instance": ("historial", "history"),
}
_REQUEST_STATUSES = {  # FHIR request-status of the referral (ServiceRequest): (es-MX, en)
    "draft": ("borrador", "draft"),
    "active": ("activa", "active"),
    "on-hold": ("en pausa", "on hold"),
    "revoked": ("retirada", "withdrawn"),
    "completed": ("concluida", "completed"),
    "entered-in-error": ("registrada por error", "entered in error"),
    "unknown": ("desconocido", "unknown"),
}
_RESOURCES = {  # resource type: (es-MX, en)
    "Visit": ("visita", "visit"),
    "ServiceRequest": ("referencia", "referral"),
    "Task": ("tarea de la unidad", "unit task"),
    "Patient": ("paciente", "patient"),
    "MatchReview": ("revisión de identidad", "identity review"),
    "Bundle": ("paquete FHIR", "FHIR bundle"),
    "AuditEvent": ("bitácora", "audit log"),
    "AccountUser": ("usuario", "user"),
}

ES_MX = {
    **{f"casefile.action.{k}": v for k, v in _ACTIONS_ES.items()},
    **{f"casefile.subtype.{k}": es for k, (es, _) in _SUBTYPES.items()},
    **{f"casefile.resource.{k}": es for k, (es, _) in _RESOURCES.items()},
    **{f"casefile.request.{k}": es for k, (es, _) in _REQUEST_STATUSES.items()},
    "casefile.institution.bienestar": "Bienestar",
    "casefile.institution.clinic": "IMSS-Bienestar",
    "casefile.refused": "rechazada",
    "casefile.failed": "falló",
    "casefile.deferred": "revisión diferida",
    "casefile.via": "vía {client}",
    "casefile.key.empty": "escriba una CURP, folio, visita, referencia o traza (máximo 128 caracteres)",
    "casefile.key.curp": "la CURP tiene 18 caracteres con el formato oficial",
    "casefile.key.trace": "una traza son 32 dígitos hexadecimales en minúsculas",
    "casefile.key.referral": "una referencia es un identificador UUID",
    "casefile.status.verified": "verificado: cada evento está incluido en el árbol firmado",
    "casefile.status.pending": "parcial: hay eventos que aún no se secuencian en el árbol",
    "casefile.status.failed": "FALLÓ: una prueba o la firma no verifica",
    "casefile.status.unsigned": "sin cabecera firmada todavía",
    "casefile.pdf.title": "Expediente de auditoría",
    "casefile.pdf.heading": "Caso de auditoría: visita, identidad, referencia y accesos",
    "casefile.pdf.generated": "Generado {at} por {by}; búsqueda por {kind}.",
    "casefile.pdf.visits": "Visitas: {items}.",
    "casefile.pdf.referrals": "Referencias: {items}.",
    "casefile.pdf.records": "Registros: {items}.",
    "casefile.pdf.reviews": "Revisiones de identidad: {items}.",
    "casefile.pdf.verification": "Verificación de la bitácora: {status}.",
    "casefile.pdf.none": "ninguno",
    "casefile.pdf.checkpoint": "Cabecera firmada que cubre el caso (checkpoint)",
    "casefile.pdf.signature": "kid {kid} · firma Ed25519 {signature}",
    "casefile.pdf.timeline": "Línea de tiempo ({count} eventos)",
    "casefile.pdf.col.seq": "N.º",
    "casefile.pdf.col.when": "Fecha (UTC)",
    "casefile.pdf.col.institution": "Institución",
    "casefile.pdf.col.who": "Quién",
    "casefile.pdf.col.what": "Qué",
    "casefile.pdf.col.resources": "Recursos",
    "casefile.pdf.col.proof": "Prueba",
    "casefile.pdf.proven.yes": "sí",
    "casefile.pdf.proven.pending": "pend.",
    "casefile.pdf.proven.no": "no",
}
EN = {
    **{f"casefile.action.{k}": v for k, v in _ACTIONS_EN.items()},
    **{f"casefile.subtype.{k}": en for k, (_, en) in _SUBTYPES.items()},
    **{f"casefile.resource.{k}": en for k, (_, en) in _RESOURCES.items()},
    **{f"casefile.request.{k}": en for k, (_, en) in _REQUEST_STATUSES.items()},
    "casefile.institution.bienestar": "Bienestar",
    "casefile.institution.clinic": "IMSS-Bienestar",
    "casefile.refused": "refused",
    "casefile.failed": "failed",
    "casefile.deferred": "review deferred",
    "casefile.via": "via {client}",
    "casefile.key.empty": "type a CURP, folio, visit, referral or trace (128 characters at most)",
    "casefile.key.curp": "a CURP has 18 characters in the official format",
    "casefile.key.trace": "a trace is 32 lowercase hexadecimal digits",
    "casefile.key.referral": "a referral is a UUID",
    "casefile.status.verified": "verified: every event is included in the signed tree",
    "casefile.status.pending": "partial: some events are not yet sequenced into the tree",
    "casefile.status.failed": "FAILED: a proof or the signature does not verify",
    "casefile.status.unsigned": "no signed tree head yet",
    "casefile.pdf.title": "Audit case file",
    "casefile.pdf.heading": "Audit case: visit, identity, referral and accesses",
    "casefile.pdf.generated": "Generated {at} by {by}; searched by {kind}.",
    "casefile.pdf.visits": "Visits: {items}.",
    "casefile.pdf.referrals": "Referrals: {items}.",
    "casefile.pdf.records": "Records: {items}.",
    "casefile.pdf.reviews": "Identity reviews: {items}.",
    "casefile.pdf.verification": "Audit log verification: {status}.",
    "casefile.pdf.none": "none",
    "casefile.pdf.checkpoint": "Signed tree head covering the case (checkpoint)",
    "casefile.pdf.signature": "kid {kid} · Ed25519 signature {signature}",
    "casefile.pdf.timeline": "Timeline ({count} events)",
    "casefile.pdf.col.seq": "No.",
    "casefile.pdf.col.when": "Date (UTC)",
    "casefile.pdf.col.institution": "Institution",
    "casefile.pdf.col.who": "Who",
    "casefile.pdf.col.what": "What",
    "casefile.pdf.col.resources": "Resources",
    "casefile.pdf.col.proof": "Proof",
    "casefile.pdf.proven.yes": "yes",
    "casefile.pdf.proven.pending": "pend.",
    "casefile.pdf.proven.no": "no",
}
messages.add(ES_MX, EN)


def word(language: str, key: str, fallback: str, **values: object) -> str:
    """The catalogue's word, or ``fallback`` (a code the catalogue does not know is shown as itself)."""
    full = messages.translate(language, key, **values)
    return fallback if full == key else full
