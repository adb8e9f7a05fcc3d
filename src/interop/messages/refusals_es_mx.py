"""Refusals in es-MX, the default: the words of the caller-visible errors (``DomainError.said``) of fhir,
referral, ingest and auth. Same keys and placeholders as ``refusals_en``; each key starts with its area."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # auth
    "auth.bearer_required": "se requiere un token Bearer",
    "auth.rate_limited": "demasiadas solicitudes; reintente más tarde",
    "auth.scope_required": "se requiere el alcance {scope}",
    "auth.client_revoked": "el cliente está revocado",
    "auth.issuer_keys_unavailable": "no se pueden obtener las claves del emisor de tokens",
    "auth.issuer_off_tokens": (
        "el emisor integrado está apagado; los tokens vienen del emisor externo configurado"
    ),
    "auth.issuer_off_jwks": "el emisor integrado está apagado; consulte el JWKS del emisor externo",
    "auth.token.alg_not_accepted": "algoritmo de token no aceptado",
    "auth.token.unknown_key": "el token está firmado con una clave desconocida",
    "auth.token.alg_mismatch": "el algoritmo del token no corresponde a su clave",
    "auth.token.malformed": "token mal formado",
    "auth.token.expired": "el token expiró",
    "auth.token.not_yet_valid": "el token aún no es válido",
    "auth.token.rejected": "token rechazado: {reason}",
    "auth.token.client_auth_failed": "la autenticación del cliente falló",
    "auth.token.client_auth_required": "se requiere autenticar al cliente",
    "auth.token.basic_only": (
        "en el encabezado Authorization solo se acepta la autenticación HTTP Basic del cliente"
    ),
    "auth.token.basic_malformed": "credenciales Basic mal formadas",
    "auth.token.one_method": "use exactamente un método de autenticación del cliente",
    "auth.token.assertion_type": "client_assertion_type debe ser {expected}",
    "auth.token.assertion_needs_base_url": (
        "private_key_jwt requiere INTEROP_BASE_URL (la audiencia de la aserción)"
    ),
    "auth.token.client_id_mismatch": "client_id no coincide con la aserción",
    "auth.token.form_required": "el cuerpo de la solicitud debe ser application/x-www-form-urlencoded",
    "auth.token.grant_type_required": "grant_type es obligatorio",
    "auth.token.grant_unsupported": "solo se admite la concesión client_credentials",
    "auth.token.jti_reused": "el jti de la aserción ya se usó",
    "auth.token.no_scope_granted": "ninguno de los alcances pedidos está concedido a este cliente",
    "auth.token.throttled": "demasiadas solicitudes de token; reintente más tarde",
    "auth.client.name_invalid": (
        "nombre de cliente: letras, dígitos, '.', '_' o '-', 64 caracteres como máximo"
    ),
    "auth.client.role_invalid": "el rol debe ser uno de: {roles}",
    "auth.client.clues_invalid": "no es un código CLUES: {clues}",
    "auth.client.clinic_needs_clues": "un cliente de clínica necesita al menos una CLUES",
    "auth.client.clues_only_clinic": "solo los clientes de clínica se vinculan a CLUES",
    "auth.client.jwks_invalid": "conjunto JWK no válido: {reason}",
    "auth.client.name_revoked": (
        "el cliente {name} fue revocado y su nombre no se reutiliza; registre otro nombre"
    ),
    "auth.client.exists": (
        "el cliente {name} ya existe; para un secreto nuevo: interop clients rotate-secret {name}"
    ),
    "auth.client.needs_credentials": "un cliente necesita un secreto, un conjunto JWK o ambos",
    "auth.client.not_found": "no hay un cliente llamado {name}",
    "auth.client.revoked_named": "el cliente {name} está revocado; registre otro nombre",
    # fhir
    "fhir.body_not_json": "el cuerpo de la solicitud no es JSON",
    "fhir.bundle.not_transaction": "POST /fhir recibe un Bundle de tipo transaction",
    "fhir.bundle.invalid": "el Bundle no es válido: {count} problema(s), el primero en {path}",
    "fhir.bundle.unsupported_resources": "recursos no admitidos en un Bundle de visita: {types}",
    "fhir.visit.entry_not_post": "cada entrada del Bundle de visita es un POST",
    "fhir.visit.exactly_one": "un Bundle de visita lleva exactamente un {kind}",
    "fhir.visit.visit_identifier": "falta ServiceRequest.identifier con system {system} (la visita)",
    "fhir.visit.visit_date": "falta ServiceRequest.authoredOn (la fecha de la visita)",
    "fhir.visit.do_not_perform": (
        "doNotPerform prohíbe el servicio; una visita sin referencia no lleva ServiceRequest"
    ),
    "fhir.visit.no_findings": (
        "una visita sin referencia (sin ServiceRequest) lleva al menos un Condition u Observation"
    ),
    "fhir.visit.findings_identifier": (
        "sin ServiceRequest, los hallazgos llevan un solo identificador de visita (system {system})"
    ),
    "fhir.visit.findings_date": "sin ServiceRequest, falta la fecha de la visita en los hallazgos",
    "fhir.visit.findings_worker": (
        "sin ServiceRequest, falta el promotor de salud (identifier) en los hallazgos"
    ),
    "fhir.bundle.visit_incomplete": "el Bundle de visita está incompleto: {problems}",
    "fhir.search.count_not_number": "_count debe ser un número",
    "fhir.search.cursor_invalid": "_cursor no es válido",
    "fhir.search.total_invalid": "_total debe ser none, estimate o accurate",
    "fhir.search.summary_invalid": "_summary debe ser true, false, text, data o count",
    "fhir.search.sort_invalid": "_sort admite _lastUpdated y -_lastUpdated",
    "fhir.search.include_unsupported": "_include no admitido: {names}",
    "fhir.search.not_an_id": "{what} debe ser un id",
    "fhir.search.reference_type": "la referencia debe apuntar a un {resource_type}",
    "fhir.search.date_format": (
        "date debe tener la forma [gt|ge|lt|le|eq]YYYY[-MM[-DD[Thh:mm[:ss[.ffffff]][Z|±hh:mm]]]]"
    ),
    "fhir.search.identifier_visit_only": (
        "identifier: aquí solo se busca por el sistema de identificador de visita"
    ),
    "fhir.search.identifier_clues_only": "identifier: solo se busca por el sistema CLUES",
    "fhir.search.unit_identifier_clues": "{param}:identifier usa el sistema CLUES",
    "fhir.search.patient_identifier_curp": "la búsqueda de Patient por identifier usa el sistema CURP",
    "fhir.auditevent.trace_id_invalid": "trace-id debe tener 32 dígitos hexadecimales en minúsculas",
    "fhir.auditevent.sort_invalid": "_sort debe ser date o -date",
    "fhir.auditevent.not_found": "AuditEvent no encontrado",
    "fhir.organization.not_found": "Organization/{id} no encontrada",
    "fhir.match.body_not_parameters": "el cuerpo de la solicitud debe ser un recurso Parameters",
    "fhir.match.resource_required": "el parámetro 'resource' (un Patient) es obligatorio",
    "fhir.match.resource_not_patient": "el parámetro 'resource' debe ser un Patient",
    "fhir.match.birthdate_full": "birthDate debe ser una fecha completa (AAAA-MM-DD)",
    "fhir.match.count_positive": "count debe ser un entero positivo",
    "fhir.patch.bad_pointer": "puntero JSON no válido: {pointer}",
    "fhir.patch.body_shape": "el cuerpo de un PATCH es un arreglo JSON Patch o un objeto JSON Merge Patch",
    "fhir.subscription.not_subscription": "el cuerpo de la solicitud debe ser un Subscription",
    "fhir.subscription.invalid": "la Subscription no es válida: {count} problema(s), el primero en {path}",
    "fhir.subscription.rest_hook_only": "solo se admiten canales rest-hook",
    "fhir.subscription.id_only": (
        "solo se envían notificaciones id-only (lea la Task después de la notificación)"
    ),
    "fhir.subscription.criteria": (
        "criteria debe ser el tema {topic} (Tasks) o {referral_topic} (referencias enviadas)"
    ),
    "fhir.task.if_match_format": 'If-Match debe ser una ETag de versión, como W/"3"',
    "fhir.task.not_task": "el cuerpo de la solicitud debe ser una Task",
    "fhir.task.id_mismatch": "el id de la Task en el cuerpo no coincide con la URL",
    "fhir.task.invalid": "la Task no es válida: {count} problema(s), el primero en {path}",
    "fhir.task.immutable": "estos elementos de la Task no pueden cambiarse: {elements}",
    "fhir.withdrawal.reason_required": (
        "ServiceRequest.extension({extension}) o una nota nueva debe dar el motivo"
    ),
    "fhir.withdrawal.not_service_request": "el cuerpo de la solicitud debe ser un ServiceRequest",
    "fhir.withdrawal.id_mismatch": "ServiceRequest.id no coincide con la URL",
    "fhir.withdrawal.status": "ServiceRequest.status: Bienestar solo puede poner revoked o entered-in-error",
    "fhir.withdrawal.immutable": "ServiceRequest.{element} no puede cambiarse",
    # ingest
    "ingest.file_empty": "el archivo está vacío",
    "ingest.no_data_rows": "el archivo no tiene filas de datos",
    "ingest.header_empty": "la línea de encabezado está vacía",
    "ingest.header_too_long": "la línea de encabezado tiene más de {max} caracteres",
    "ingest.unknown_encoding": "codificación desconocida",
    "ingest.not_text_encoding": "no es una codificación de texto",
    "ingest.wrong_encoding": (
        "el archivo no está en {encoding} (byte indescifrable en la posición {offset}); parece "
        "{guessed}: expórtelo como UTF-8 o pida la conversión con encoding={guessed} (CLI: --encoding "
        "{guessed})"
    ),
    "ingest.columns_repeated": "columnas repetidas en el encabezado: {columns}",
    "ingest.columns_unknown": "columnas desconocidas: {columns} (un archivo {kind} tiene {expected})",
    "ingest.columns_missing": "faltan columnas obligatorias: {columns}",
    "ingest.kind_unknown": "tipo de importación desconocido: {kind}",
    "ingest.kind_unknown_expected": "tipo de importación desconocido: {kind}; se espera uno de {expected}",
    "ingest.no_such_file": "no existe el archivo: {file}",
    "ingest.upload_needs_file": "la carga multipart necesita una parte 'file'",
    "ingest.kind_required": "kind es obligatorio: units, roll o patients",
    "ingest.role_may_not_import": "el rol {role} no puede importar {kind}",
    "ingest.clinic_without_clues": "este cliente de clínica no está vinculado a ninguna CLUES",
    "ingest.ndjson_patients_only": "FHIR NDJSON solo se acepta para patients",
    "ingest.import_not_found": "no existe la importación {id}",
    "ingest.upload_too_large": "el archivo excede el tamaño máximo de carga ({limit} bytes); nada se guardó",
    "ingest.storage_full": "no queda espacio en la carpeta de datos para la carga; nada se guardó",
    # referral
    "referral.not_found": "no se encontró el recurso {kind}",
    "referral.version_not_found": "no existe esa versión",
    "referral.visit_not_found": "no se encontró la visita",
    "referral.subscription_not_found": "no existe esa Subscription",
    "referral.version_conflict": "{kind} está en la versión {current}, no en la {asked}",
    "referral.withdraw_status": "status debe ser uno de {statuses} para retirar una referencia",
    "referral.withdraw_reason": "retirar o corregir una referencia requiere el motivo",
    "referral.already_ended": "la referencia está {status}: ya terminó",
    "referral.not_waiting": "la referencia no está en espera de ruta ni escalada",
    "referral.unit_not_operating": "la unidad {clues} no existe o no está en operación",
    "referral.entidad_invalid": "entidad: un código de dos letras, como OC o DF",
    "referral.task.service_only": (
        "un cliente no puede poner una Task en {status}: la unidad la rechaza (rejected) y solo "
        "Bienestar retira la solicitud"
    ),
    "referral.task.final": "la Task está en {status}: un estado final no puede actualizarse",
    "referral.task.transition": "una Task no puede pasar de {current} a {new}",
    "referral.task.status_unknown": "el estado de Task {status} no se usa en las referencias",
    "referral.task.outcome_unknown": "el resultado {code} no está en {system} (códigos: {codes})",
    "referral.task.outcome_needs_end": (
        "un resultado (contrarreferencia) solo acompaña a una Task completed o failed"
    ),
    "referral.subscription.limit": (
        "el cliente ya tiene {held} suscripciones; el máximo es {max} (elimine alguna antes de crear otra)"
    ),
    "referral.subscription.secret_format": (
        "el secreto de firma debe ser whsec_ seguido del base64 de 24 a 64 bytes"
    ),
    "referral.subscription.referrals_bienestar_only": (
        "solo un sistema de Bienestar se suscribe a las referencias que envió"
    ),
    "referral.subscription.own_units": "una suscripción solo puede cubrir las unidades del propio cliente",
    "referral.visit.need_changed": (
        "la referencia abierta para esta necesidad cambió mientras se enviaba la visita; reintente"
    ),
    "referral.visit.in_flight": "la solicitud original con esta clave aún está en curso; reintente",
    "referral.visit.other_client": "este id de visita pertenece a la visita de otro cliente",
    "referral.visit.reused": "este id de visita o Idempotency-Key ya se usó con otro cuerpo",
    # backup (CLI)
    "backup.tool_missing": "no se encontró {tool}",
    "backup.failed": "{tool} falló: {detail}",
    "backup.no_such_file": "no existe el archivo de respaldo: {file}",
    # ingest: why a line of an import was rejected (stored as keys: interop.messages.stored)
    "ingest.reject.not_json_object": "no es un objeto JSON",
    "ingest.reject.not_patient": "no es un recurso Patient de FHIR",
    "ingest.reject.invalid_patient": "no es un Patient válido de FHIR R4",
    "ingest.reject.invalid_patient_at": "no es un Patient válido de FHIR R4 (en {where})",
    "ingest.reject.field_count": "{fields} campos; el encabezado tiene {width}",
    "ingest.reject.not_csv": "la línea no se puede leer como CSV",
    "ingest.reject.line_too_long": "la línea tiene más de {max} caracteres",
    "ingest.reject.unterminated_quote": "un campo entre comillas no se cierra",
    "ingest.reject.nul": "la línea contiene un carácter NUL",
    "ingest.reject.field_too_long": "un campo tiene más de {max} caracteres",
    "ingest.reject.record_id_empty": "record_id está vacío",
    "ingest.reject.duplicate": "duplicado de la línea {first} (mismo identificador)",
    "ingest.reject.no_given_name": "sin nombre de pila (nombre)",
    "ingest.reject.no_surname": "sin apellido (primer_apellido o segundo_apellido)",
    "ingest.reject.clues_empty": "clues está vacío",
    "ingest.reject.clues_invalid": "clues no es una CLUES de 11 caracteres",
    "ingest.reject.nombre_empty": "nombre está vacío",
    "ingest.reject.entidad_unknown": "entidad falta o es desconocida",
    "ingest.reject.nivel_invalid": "nivel debe ser 1, 2 o 3",
    "ingest.reject.estatus_empty": "estatus está vacío",
    "ingest.reject.other_unit": "clues no es una de las unidades para las que este cliente puede importar",
    # referral: why a Subscription endpoint or header is refused (stored form: interop.messages.stored)
    "referral.endpoint.not_url": "channel.endpoint no es una URL válida",
    "referral.endpoint.not_http": "channel.endpoint debe ser una URL http(s)",
    "referral.endpoint.credentials": (
        "channel.endpoint no debe llevar credenciales (envíelas en channel.header)"
    ),
    "referral.endpoint.not_ascii": "channel.endpoint debe escribir el host en ASCII (IDNA, xn--…)",
    "referral.endpoint.forbidden_address": (
        "channel.endpoint no puede ser una dirección de enlace local, multidifusión, no "
        "especificada, reservada o de metadatos"
    ),
    "referral.endpoint.private_address": (
        "channel.endpoint no puede ser una dirección privada o de loopback en este despliegue"
    ),
    "referral.endpoint.host_not_allowed": (
        "el host {host} de channel.endpoint no está entre los hosts de suscripción de este despliegue"
    ),
    "referral.header.too_many": "channel.header admite a lo más {max} encabezados",
    "referral.header.too_long": "channel.header[{index}] debe ser un texto de a lo más {max} caracteres",
    "referral.header.shape": "channel.header[{index}] debe tener la forma 'Nombre: valor'",
    "referral.header.control": "channel.header[{index}] contiene caracteres de control",
    "referral.header.forbidden": "channel.header[{index}]: el encabezado {name} no puede fijarlo el cliente",
    # ingest: an import whose job gave up
    "ingest.job_failed": "la tarea de importación falló",
    # audit: proofs, heads, exports and searches
    "audit.export.zone_needed": "from y to necesitan zona horaria",
    "audit.export.to_before_from": "to debe ser posterior a from",
    "audit.proof.no_head_yet": "aún no se ha firmado ninguna cabeza del árbol",
    "audit.proof.no_head_of_size": "no hay una cabeza firmada con ese tree_size",
    "audit.proof.no_leaf": "no hay una hoja en ese índice",
    "audit.proof.index_out_of_tree": "index debe ser al menos 0 y menor que tree_size",
    "audit.proof.first_after_second": "first debe ser al menos 1 y a lo más second",
    "audit.trace_id_invalid": "trace_id debe ser de 32 dígitos hexadecimales en minúsculas",
    "audit.moment_invalid": "{name} debe ser una fecha (AAAA-MM-DD) o un instante ISO 8601",
    "audit.signing_key_unavailable": "la llave de firma de la bitácora no está cargada",
    # matching: runs and reviews
    "matching.review_not_found": "no se encontró la revisión de identidad",
    "matching.review_already_decided": "la revisión de identidad ya fue decidida",
    "matching.reversal_undecided": "solo se revierte una revisión ya decidida",
    "matching.reversal_reason_needed": "revertir una decisión requiere el motivo",
    "matching.reversal_stale": "la decisión ya cambió; vuelva a leer la revisión",
    "matching.engine_unknown": "motor desconocido: '{engine}' (motores: {engines})",
    "matching.engine_needs_pyspark": "el motor spark necesita pyspark: pip install 'interop[spark]'",
    "matching.run_not_found": "no se encontró la corrida de vinculación",
    "matching.truth_file_columns": "el archivo de verdad necesita las columnas source, record_id y person_id",
}
