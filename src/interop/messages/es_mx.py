"""Mensajes en español de México (es-MX), el idioma por omisión. Mismas claves y marcadores que ``en``."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # Errores comunes de /fhir y /v1
    "error.internal": "error interno",
    "error.unavailable": "la base de datos no está disponible; intente más tarde",
    "error.crossed": "otra operación sobre los mismos datos se cruzó; no se guardó nada, envíela de nuevo",
    "error.busy": "la base de datos no puede atender esto ahora; intente más tarde",
    "error.validation": "la solicitud no es válida",
    "error.not_found": "no encontrado",
    "error.method_not_allowed": "método no permitido",
    "error.body_too_large": "el cuerpo de la solicitud es demasiado grande",
    "error.out_of_range": "un valor está fuera de rango o mal formado",
    "error.unknown_code_system": "no existe el CodeSystem {id}",
    # Prioridades
    "priority.routine": "ordinaria",
    "priority.urgent": "urgente",
    "priority.asap": "lo antes posible",
    "priority.stat": "inmediata",
    # Atención solicitada (CodeSystem atencion-solicitada)
    "care.title": "Atención solicitada",
    "care.description": "La clase de atención que una visita de Salud Casa por Casa pide a la unidad.",
    "care.consulta-primer-nivel": "Consulta de primer nivel",
    "care.consulta-primer-nivel.definition": "Consulta en un centro de salud o unidad de primer nivel.",
    "care.valoracion-domiciliaria": "Valoración domiciliaria",
    "care.valoracion-domiciliaria.definition": (
        "El equipo de la unidad o una unidad móvil valora a la persona en su domicilio."
    ),
    "care.especialidad": "Especialidad",
    "care.especialidad.definition": "Valoración por un especialista (segundo nivel o más).",
    "care.laboratorio": "Laboratorio",
    "care.laboratorio.definition": "Estudios de laboratorio o gabinete.",
    "care.urgencias": "Urgencias",
    "care.urgencias.definition": "Atención de urgencia en un hospital, el mismo día.",
    # Enrutamiento: cada elección con su razón escrita
    "routing.registry_unit": "ya es paciente de {clues} (nivel {level}, en operación)",
    "routing.registry_unit_level": "la prioridad {priority} requiere nivel {required}",
    "routing.nearest": (
        "unidad en operación de nivel {required} o más, la más cercana para prioridad {priority}: "
        "{km} km desde {origin}"
    ),
    "routing.first_level": (
        "el primer nivel es la puerta de entrada: unidad de primer nivel a {km} km desde {origin} "
        "(dentro de {max_km} km)"
    ),
    "routing.home_visit": (
        "la persona no puede salir de su domicilio: unidad con visita domiciliaria ({unit_type}) a {km} km "
        "desde {origin}"
    ),
    "routing.home_visit_none": "ninguna unidad con visita domiciliaria al alcance; se envía a la unidad",
    "routing.imb_preferred": "{entidad} está adherida a IMSS-Bienestar: se prefiere una unidad IMB",
    "routing.placed_by_municipality": "la unidad no tiene coordenadas: se ubica por su municipio",
    "routing.registry_not_eligible": "unidad(es) donde ya es paciente no elegibles: {clues}",
    "routing.rerouted": "reenviada tras el rechazo de {clues}: {reason}",
    "routing.rejected_no_unit": "rechazada por {clues}; no hay otra unidad del nivel requerido",
    "routing.origin.coordinates": "las coordenadas de la visita",
    "routing.origin.locality": "la localidad de la visita",
    "routing.no_unit": "no se encontró una unidad en operación del nivel requerido para esta visita",
    # Tipos de unidad
    "unit_type.centro-salud": "centro de salud",
    "unit_type.umr": "unidad médica rural",
    "unit_type.umu": "unidad médica urbana",
    "unit_type.hospital-rural": "hospital rural",
    "unit_type.hospital-general": "hospital general",
    "unit_type.hospital-especialidad": "hospital de especialidad",
    "unit_type.unidad-movil": "unidad médica móvil",
    "unit_type.brigada": "brigada de salud",
    "unit_type.uneme": "UNEME",
    "unit_type.caro": "centro de atención rural obstétrica (CARO)",
    # Textos de los recursos FHIR
    "display.referral": "Envío de paciente",
    "display.fulfill": "Atender la solicitud",
    "display.home_visit": "Visita domiciliaria",
    "display.provisional": "Provisional",
    "display.provisional_patient": "Construido a partir de una visita domiciliaria; identidad en revisión",
    "display.active": "Activo",
    "display.program": "Programa Pensiones para el Bienestar",
    "display.health_worker": "Salud Casa por Casa",
    "display.place_found": "Lugar donde se encontró a la persona",
    "display.home_bound": "No puede salir de su domicilio",
    "display.disability": "Discapacidad",
    "display.functional_status": "Estado funcional",
    "display.mobility": "Movilidad",
    "display.caregiver": "Persona cuidadora",
    "display.medication_needs": "Necesidades de medicamentos",
    "display.routing": "Enrutamiento ({rule}): {reason}",
    "display.finding_text": "Hallazgo del promotor (por confirmar)",
    "display.blood_pressure": "Presión arterial",
    "display.systolic": "Presión sistólica",
    "display.diastolic": "Presión diastólica",
    "display.glucose": "Glucosa capilar",
    "display.heart_rate": "Frecuencia cardiaca",
    "display.body_weight": "Peso corporal",
    "display.body_height": "Estatura",
    "display.body_temperature": "Temperatura corporal",
    "display.oxygen_saturation": "Saturación de oxígeno",
    "display.respiratory_rate": "Frecuencia respiratoria",
    "display.bmi": "Índice de masa corporal",
    "display.vital_signs": "Signos vitales",
    "display.survey": "Encuesta",
    # Discapacidad y estado funcional (valores estructurados)
    # Hallazgos domiciliarios (CodeSystem hallazgo-domiciliario) y sus vocabularios
    "home_finding.title": "Hallazgo domiciliario",
    "home_finding.description": (
        "Lo que una visita de Salud Casa por Casa registra de la autonomía de la persona en su domicilio."
    ),
    "home_finding.discapacidad": "Discapacidad",
    "home_finding.movilidad": "Movilidad",
    "home_finding.no-sale-de-casa": "No puede salir de su domicilio",
    "home_finding.persona-cuidadora": "Persona cuidadora",
    "home_finding.necesidades-medicamentos": "Necesidades de medicamentos",
    "disability.title": "Tipo de discapacidad",
    "disability.description": "La clase de discapacidad que se encontró en la visita.",
    "mobility.title": "Movilidad",
    "mobility.description": "Cómo se desplaza la persona dentro y fuera de su domicilio.",
    "disability.fisica": "física o motriz",
    "disability.visual": "visual",
    "disability.auditiva": "auditiva",
    "disability.intelectual": "intelectual",
    "disability.psicosocial": "psicosocial",
    "disability.multiple": "múltiple",
    "mobility.independiente": "camina sin ayuda",
    "mobility.con-ayuda": "camina con ayuda (bastón, andadera u otra persona)",
    "mobility.silla-de-ruedas": "usa silla de ruedas",
    "mobility.encamado": "encamado",
    # Avisos de la respuesta (la visita nunca se rechaza por ellos)
    "warning.icd10_format": (
        "el código CIE-10 «{code}» no tiene forma válida; el hallazgo se conserva como texto"
    ),
    "warning.icd10_unknown": (
        "el código CIE-10 «{code}» no está en el catálogo CIE-10; el hallazgo se conserva como texto"
    ),
    "warning.ucum_unit": (
        "la unidad «{unit}» no es la unidad UCUM esperada para {code} ({expected}); la medición se conserva "
        "como texto"
    ),
    "warning.value_range": (
        "el valor {value} {unit} de {code} está fuera del intervalo posible; la medición se conserva "
        "como texto"
    ),
    "warning.unknown_term": "el valor «{value}» de {field} no se reconoce; se conserva como texto",
    # Búsquedas
    "search.date_invalid": (
        "{param}: se espera una fecha AAAA-MM-DD con prefijo opcional (eq, ge, gt, le, lt)"
    ),
    "bundle.referral_created": (
        "{task} asignada a {clues}; enrutamiento {rule}: {reason}; grado de coincidencia {grade}"
    ),
    "bundle.finding_kept": (
        "se conserva como hallazgo de {service_request} (Condition, Observation o estado funcional)"
    ),
    # CLI
    "cli.import.ndjson_patients_only": "FHIR NDJSON solo se acepta para pacientes",
    "cli.import.checking": "revisando {file}",
    "cli.import.duplicate": "este archivo ya se importó (importación {import_id}): nada cambió",
    "cli.import.resuming": "se reanuda la importación {import_id} después de la línea {line}",
    "cli.import.summary": (
        "importación {import_id} ({kind}): {state} · filas {rows} · guardadas {stored} (registros nuevos "
        "{new_records}, versiones nuevas {new_versions}, sin cambios {unchanged}) · rechazadas {rejected}"
    ),
    "cli.import.rejects": "líneas rechazadas: GET /v1/imports/{import_id}/rejects",
    # Movidos al catálogo (cleanup): visitas FHIR, demostración, entrenamiento del modelo
    "visit.field.visit_id": "el identificador de la visita",
    "visit.field.visit_date": "la fecha de la visita",
    "visit.field.note": "la nota",
    "visit.field.person": "la persona",
    "visit.field.person.nombre": "el nombre",
    "visit.field.person.primer_apellido": "el primer apellido",
    "visit.field.person.segundo_apellido": "el segundo apellido",
    "visit.field.person.fecha_nacimiento": "la fecha de nacimiento",
    "visit.field.person.sexo": "el sexo",
    "visit.field.person.curp": "la CURP",
    "visit.field.person.roll_record_id": "el registro del padrón",
    "visit.field.person.entidad": "la entidad (dos letras)",
    "visit.field.person.municipio": "el municipio",
    "visit.field.person.localidad": "la localidad",
    "visit.field.person.domicilio": "el domicilio",
    "visit.field.person.telefono": "el teléfono",
    "visit.field.person.latitud": "la latitud",
    "visit.field.person.longitud": "la longitud",
    "visit.field.findings.conditions": "el diagnóstico CIE-10",
    "visit.field.findings.observations": "la observación",
    "visit.field.findings.disability": "la discapacidad",
    "visit.field.health_worker_id": "el promotor de salud que hizo la visita (requester.identifier)",
    "visit.field.urgency": "la prioridad (routine | urgent | asap | stat)",
    "visit.field.bundle": "el Bundle",
    "visit.missing": "falta {path}: {what}",
    "visit.invalid": "{path} no es válido: {what}",
    "visit.structure": "{path} no es válido ({kind})",
    "demo.summary.no_reason": "sin motivo",
    "demo.summary.title": "Resumen de la demostración (leído de la base de datos y de la API)",
    "demo.summary.persons": "  personas en el índice: {n}",
    "demo.summary.linked": "  personas vinculadas padrón–clínicas: {n}",
    "demo.summary.reviews_open": "  revisiones de identidad en cola: {n}",
    "demo.summary.match_run": "  corrida de vinculación: {id} (modelo {model})",
    "demo.summary.visits": "  visitas guardadas: {stored} de {sent} enviadas",
    "demo.summary.referrals": "  referencias: {n} (con paciente provisional, a revisar: {provisional})",
    "demo.summary.per_unit": "  referencias por unidad (CLUES: total, pendientes, completadas):",
    "demo.summary.unplaceable": "  visita sin unidad posible: {text}",
    "demo.summary.case": "  caso trazado: visita {visit} → unidad {unit}",
    "demo.summary.task_states": "  estados de la tarea: {states}",
    "demo.summary.case_events": "  eventos de auditoría del caso: {n} ({kinds}) · /v1/trace/{trace}",
    "demo.summary.audit": "  auditoría verificada: {verdict} ({n} eventos, {heads} cabezas firmadas)",
    "demo.summary.audit_intact": "íntegra",
    "demo.summary.audit_altered": "ALTERADA",
    "matching.field.given_full": "nombre",
    "matching.field.given_main": "nombre",
    "matching.field.ap1": "primer apellido",
    "matching.field.ap2": "segundo apellido",
    "matching.field.dob": "fecha de nacimiento",
    "matching.field.curp": "CURP",
    "matching.field.sexo": "sexo",
    "matching.field.entidad": "entidad",
    "matching.field.municipio": "municipio",
    "matching.field.domicilio": "domicilio",
    "matching.untrainable.and": " y ",
    "matching.untrainable.nor": "; ni en ",
    "matching.untrainable.default_fields": "nombre, apellido y fecha de nacimiento",
    "matching.untrainable.lacks": "; los datos no traen {fields}",
    "matching.untrainable": (
        "no se puede entrenar el modelo: ningún par de registros coincide en {fields}{lacks}. Importe "
        "registros que traigan esos datos (o más registros de las mismas personas) y vuelva a ejecutar la "
        "corrida"
    ),
    "matching.untrainable_fixed": (
        "no se puede entrenar el modelo: todos los pares de los que aprendería se eligen porque coinciden "
        "en {fields}, así que nada muestra cuánto pesa que coincidan. Importe registros que traigan "
        "también fecha de nacimiento, CURP o domicilio y vuelva a ejecutar la corrida"
    ),
    "matching.untrainable_records": (
        "no se puede entrenar el modelo: se necesitan al menos dos registros y hay {count}. "
        "Importe el padrón o los registros de las unidades y vuelva a ejecutar la corrida"
    ),
    "bundle.referral_waiting": "en espera de ruta ({why}); grado de coincidencia {grade}",
    "patch.too_many_ops": "el JSON Patch tiene {count} operaciones; se aceptan a lo más {max}",
    "patch.not_an_object": "la operación {number} del JSON Patch no es un objeto",
    "patch.test_failed": "falló la prueba (test) del JSON Patch en {path}",
    "patch.op_too_large": "la operación {number} ({kind} en {path}) deja el recurso en más de {max} bytes",
    "patch.op_too_deep": "la operación {number} ({kind} en {path}) anida más de {max} niveles",
    "patch.unknown_op": "operación de JSON Patch desconocida: {op}",
    "patch.does_not_apply": "el JSON Patch no se puede aplicar a esta Task",
    "patch.merge_too_deep": "el JSON Merge Patch anida más de {max} niveles",
    "patch.merge_too_large": "el JSON Merge Patch deja el recurso en más de {max} bytes",
    "accounts.password_short": "la contraseña debe tener al menos {min} caracteres",
    "accounts.password_long": "la contraseña es demasiado larga",
    "accounts.username_invalid": (
        "nombre de usuario inválido: 2 a 64 caracteres a-z 0-9 . _ @ - (no una CURP ni un nombre)"
    ),
    "accounts.role_unknown": "rol desconocido; use uno de: {roles}",
    "accounts.unit_staff_needs_clues": "el personal de unidad necesita al menos una CLUES (--clues)",
    "accounts.manager_needs_entidad": "un gestor necesita al menos una entidad (--entidad)",
    "accounts.clues_only_unit_staff": "solo el personal de unidad (unit_staff) lleva CLUES",
    "accounts.entidades_only_manager": "solo un gestor (manager) lleva entidades",
    "accounts.clues_invalid": "CLUES inválida: {clues}",
    "accounts.entidad_invalid": "entidad inválida (dos letras, como en la CURP): {entidad}",
    "accounts.totp_required": "el rol {role} requiere segundo factor: agregue --totp",
    "accounts.exists": "ya existe un usuario con ese nombre",
    "accounts.not_found": "usuario no encontrado",
    "accounts.oidc_subject_taken": "ese sujeto del proveedor de identidad ya está ligado a otro usuario",
    "accounts.oidc_subject_invalid": "el sujeto del proveedor de identidad debe tener de 1 a 255 caracteres "
    "imprimibles",
    "search.unknown_param": "parámetro de búsqueda desconocido o no admitido: {name}",
    "search.too_many_values": "el parámetro {name} lleva más de {limit} valores; se aceptan a lo más {limit}",
    "search.last_updated_invalid": (
        "_lastUpdated debe ser una fecha o un instante, con prefijo gt, ge, lt, le o eq"
    ),
    "search.date_not_calendar": (
        "date no es una fecha del calendario: [gt|ge|lt|le|eq]YYYY[-MM[-DD[Thh:mm[:ss[.ffffff]][Z|±hh:mm]]]]"
    ),
    "auth.acting_user_invalid": (
        "X-Acting-User debe ser un identificador de usuario (letras, dígitos, . _ @ : "
        "-), no un nombre ni una CURP"
    ),
    # CLI: the other commands (es-MX by default; INTEROP_LANGUAGE=en for English)
    "cli.serve.port_in_use": "el puerto {port} en {host} ya está en uso",
    "cli.serve.cannot_listen": "no se puede escuchar en {host}:{port}: {reason}",
    "cli.serve.log_format": "--log-format: uno de {choices}",
    "cli.serve.listening": "interop escucha en {url} (datos en {data_dir})",
    "cli.serve.owner_warning": (
        "aviso: DATABASE_URL usa un superusuario o el dueño de las tablas, que podría desactivar la "
        "protección de la auditoría; conecte con un rol miembro de interop_app"
    ),
    "cli.serve.unsafe_allowed": (
        "AVISO: PostgreSQL embebido con {settings}: un fallo puede perder escrituras confirmadas "
        "(INTEROP_EMBEDDED_ALLOW_UNSAFE)"
    ),
    "cli.serve.unsafe_refused": (
        "PostgreSQL embebido con {settings} en {pgdata}: un fallo perdería escrituras confirmadas; "
        "actívelos (ALTER SYSTEM RESET) o use INTEROP_EMBEDDED_ALLOW_UNSAFE=true solo con datos de prueba"
    ),
    "cli.migrate.done": "base de datos en la migración {head}",
    "cli.backup.done": "respaldo escrito en {path} ({size} bytes)",
    "cli.restore.done": "respaldo restaurado",
    "cli.file.written": "escrito {path}",
    "cli.clients.jwks_unreadable": "no se puede leer el conjunto de llaves JWK ({error})",
    "cli.clients.jwks_shape": "el conjunto de llaves JWK debe ser un objeto JSON con 'keys'",
    "cli.clients.created": "cliente {name} creado (rol {role})",
    "cli.clients.secret_once": "secreto (se muestra solo ahora; guárdelo en un lugar seguro):",
    "cli.clients.revoked": "cliente {name} revocado",
    "cli.clients.rotated": "cliente {name}: secreto nuevo; el anterior ya no sirve",
    "cli.clients.header": "NOMBRE|ROL|ESTADO|AUTENTICACIÓN|CLUES",
    "cli.clients.active": "activo",
    "cli.clients.inactive": "revocado",
    "cli.clients.no_active": "no hay un cliente activo llamado {name}",
    "cli.keys.new": "llave de firma nueva {kid}; {count} llave(s) en el JWKS",
    "cli.keys.unknown": "no hay llave {kid}",
    "cli.keys.current": "la llave de firma vigente no se puede retirar; primero rote (clients rotate-key)",
    "cli.keys.retired": "llave {kid} retirada",
    "cli.token.issuer_off": "el emisor integrado está apagado (INTEROP_AUTH_JWKS_URL está definido)",
    "cli.users.no_password": "no se recibió contraseña por la entrada estándar",
    "cli.users.one_time_password": "contraseña de un solo uso (se muestra solo ahora; se cambia al entrar):",
    "cli.users.totp_uri": "segundo factor (TOTP): registre este URI en su aplicación; se muestra solo ahora:",
    "cli.users.created": "usuario {name} creado (rol {role})",
    "cli.users.header": "USUARIO|ROL|ESTADO|TOTP|CLUES/ENTIDADES|ÚLTIMA ENTRADA",
    "cli.users.active": "activo",
    "cli.users.inactive": "deshabilitado",
    "cli.users.yes": "sí",
    "cli.users.no": "no",
    "cli.users.disabled": "usuario {name} deshabilitado",
    "cli.users.reset": "usuario {name} restablecido",
    "cli.users.subject_or_unbind": "indique el sujeto o --unbind, no ambos",
    "cli.users.bound": "usuario {name} ligado al proveedor de identidad",
    "cli.users.unbound": "usuario {name} sin acceso por proveedor de identidad",
    "cli.match.unknown_engine": "motor desconocido: {engine} (uno de {choices})",
    "cli.match.progress": "vinculación: {stage}",
    "cli.match.failed": "la corrida de vinculación {run_id} no terminó ({state}){reason}",
    "cli.match.done": "corrida de vinculación {run_id} (modelo {model}, motor {engine})",
    "cli.match.count.records": "registros",
    "cli.match.count.scored": "registros calificados",
    "cli.match.count.pairs_scored": "pares calificados",
    "cli.match.count.auto_pairs": "pares ligados automáticamente",
    "cli.match.count.persons_new": "personas nuevas",
    "cli.match.count.reviews_new": "revisiones nuevas",
    "cli.match.count.reviews_open": "revisiones abiertas",
    "cli.match.count.kept_apart": "pares separados por una regla",
    "cli.match.fields": "campos usados: {fields}",
    "cli.match.no_relatives_rules": (
        "reglas de parientes: no aplican (sin CURP ni sexo, y los registros no muestran hogares)"
    ),
    "cli.match.reviews": (
        "revisiones de esta corrida: {queued} en cola, {decided} decididas, "
        "{matches} resultaron la misma persona"
    ),
    "cli.match.links": "vínculos {decision}: {count}",
    "cli.match.calibration": (
        "calibración {calibration_id}: etiquetas: {labels}; {rescored} revisiones recalificadas"
    ),
    "cli.match.untrained": (
        "niveles sin entrenar ({count}; ningún par de entrenamiento los mostró, conservan su m inicial — "
        "normal con pocos datos): {levels}"
    ),
    "cli.match.none": "ninguna",
    "cli.match.no_model": "no hay modelo activo: corra `interop match run`",
    "cli.match.truth": "registros en la verdad: {in_truth}, asignados: {assigned}",
    "cli.match.scores": (
        "precisión {precision:.4f}  exhaustividad {recall:.4f}  f1 {f1:.4f}  "
        "(vp {tp}, predichos {predicted}, verdaderos {true})"
    ),
    "cli.persons.exported": "{count} filas escritas en {path}",
    "cli.synth.title": "interop synth — {people:,} personas, semilla {seed}",
    "cli.synth.columns": "archivo|filas|detalle|MB",
    "cli.synth.roll": "PAM {pam:,}, PCD {pcd:,}; {duplicates:,} filas duplicadas",
    "cli.synth.patients": "altas en 1–3 unidades por persona",
    "cli.synth.units": "{count:,} sin operar",
    "cli.synth.noise": "ruido aplicado por registro",
    "cli.synth.written": "escrito en {path} en {seconds:.1f} s",
    # CLI help (--help)
    "cli.help.serve": (
        "Iniciar la API (PostgreSQL integrado salvo que DATABASE_URL esté definido; aplica las migraciones)."
    ),
    "cli.help.migrate": (
        "Aplicar las migraciones de la base de datos (a DATABASE_URL o al servidor integrado) y salir."
    ),
    "cli.help.backup": "Escribir un respaldo consistente de la base de datos (integrada o DATABASE_URL).",
    "cli.help.restore": (
        "Restaurar un respaldo en una base de datos vacía (una carpeta de datos nueva o un DATABASE_URL "
        "vacío)."
    ),
    "cli.help.openapi": "Escribir los documentos OpenAPI (API JSON v1 y FHIR) en una carpeta.",
    "cli.help.app": (
        "Pensiones para el Bienestar ↔ IMSS-Bienestar: importaciones, vinculación, referencias, auditoría."
    ),
    "cli.help.import": (
        "Importar unidades CLUES, el padrón de pensiones o el registro de pacientes de una clínica."
    ),
    "cli.help.match": "Corridas de vinculación por lote y su evaluación.",
    "cli.help.persons": "El índice de personas.",
    "cli.help.audit": "Verificar y exportar la bitácora de auditoría.",
    "cli.help.clients": "Clientes de API del emisor integrado.",
    "cli.help.users": "Personas que entran a las páginas web.",
    "cli.help.token": "Emitir un token para un cliente registrado (el token solo, en la última línea).",
    "cli.help.synth": "Escribir una población sintética: padrón, registros, unidades y verdad.",
    "cli.help.demo": (
        "Un estado pequeño de punta a punta y un resumen legible; luego sirve (salvo con --no-serve)."
    ),
    "cli.help.host": "Dirección en la que escuchar.",
    "cli.help.port": "Puerto en el que escuchar.",
    "cli.help.serve.no_worker": "No correr aquí el procesador de tareas.",
    "cli.help.serve.workers": (
        "Procesos de API que comparten el puerto (por omisión INTEROP_WORKERS, si no 1)."
    ),
    "cli.help.serve.log_format": "auto (líneas cortas en una terminal, líneas JSON si no), human o json.",
    "cli.help.backup.out": "Archivo a escribir (formato custom de pg_dump).",
    "cli.help.restore.dump": "Un archivo escrito por `interop backup`.",
    "cli.help.openapi.out": "Carpeta para los documentos OpenAPI.",
    "cli.help.users.add": (
        "Crear la cuenta de una persona. Sin --password-stdin ni --oidc-subject se imprime una contraseña"
        " de un solo uso."
    ),
    "cli.help.users.list": (
        "Listar las cuentas: nombre, rol, estado, segundo factor, unidades o entidades, última entrada."
    ),
    "cli.help.users.disable": (
        "Deshabilitar una cuenta; sus sesiones abiertas terminan en su siguiente página."
    ),
    "cli.help.users.reset": (
        "Contraseña nueva (de un solo uso salvo con --password-stdin), bloqueo levantado, cuenta "
        "habilitada, sesiones terminadas."
    ),
    "cli.help.users.oidc": (
        "Ligar una cuenta al sujeto de la persona en el proveedor OpenID Connect (o quitarlo con "
        "--unbind); las sesiones abiertas de la cuenta terminan."
    ),
    "cli.help.users.name_new": "Nombre de usuario (a-z 0-9 . _ @ -).",
    "cli.help.users.role": "reviewer, auditor, unit_staff, manager o admin.",
    "cli.help.users.clues": (
        "CLUES de las unidades de un unit_staff (repita la opción o sepárelas con comas)."
    ),
    "cli.help.users.entidades": (
        "Entidades de un manager (claves de dos letras de la CURP; repita o use comas)."
    ),
    "cli.help.users.password_stdin": "Leer la contraseña de la entrada estándar.",
    "cli.help.users.totp": "Registrar un segundo factor TOTP (imprime su URI una sola vez).",
    "cli.help.users.oidc_subject_new": (
        "El sujeto (`sub`) de la persona en el proveedor OpenID Connect. Sin --password-stdin la cuenta "
        "no tiene contraseña local: entra solo por el proveedor."
    ),
    "cli.help.users.name": "Nombre de usuario.",
    "cli.help.users.new_password_stdin": "Leer la contraseña nueva de la entrada estándar.",
    "cli.help.users.new_totp": "Registrar un segundo factor TOTP nuevo.",
    "cli.help.users.oidc_subject": "El sujeto (`sub`) de la persona en el proveedor OpenID Connect.",
    "cli.help.users.unbind": "Quitar la entrada por OpenID Connect.",
    "cli.help.audit.verify": (
        "Recorrer la cadena de hashes y cada punto de control firmado, luego el árbol de Merkle y cada "
        "cabeza firmada; sale con 1 y nombra la primera entrada mala."
    ),
    "cli.help.audit.export": (
        "Escribir las hojas del árbol de un rango de fechas como NDJSON, terminando con la cabeza firmada"
        " que las cubre."
    ),
    "cli.help.audit.checkpoint": (
        "Secuenciar los eventos confirmados y firmar ahora la cabeza del árbol (el procesador de tareas "
        "lo hace de todos modos dentro de audit_max_merge_delay_s)."
    ),
    "cli.help.audit.prove": (
        "Probar que un evento está en el último árbol firmado: los documentos que revisa el verificador "
        "independiente (python -m interop.audit.verify_proof inclusion …), revisados aquí también antes "
        "de escribirlos."
    ),
    "cli.help.audit.check_consistency": (
        "Revisar que el último árbol firmado extiende el guardado (nada cambió ni se quitó); sale con 1 "
        "si no."
    ),
    "cli.help.audit.workers": (
        "Procesos que recorren en paralelo los tramos de la cadena y de las hojas (0: número de CPU)."
    ),
    "cli.help.audit.public_key": "Confiar en esta llave pública Ed25519 (PEM).",
    "cli.help.audit.from": "Inicio (incluido): fecha o instante, UTC.",
    "cli.help.audit.to": "Fin (excluido): fecha o instante, UTC.",
    "cli.help.audit.out": "Archivo NDJSON a escribir.",
    "cli.help.audit.event": "El AuditEvent: su id (seq o seq-k) o AuditEvent/<id>.",
    "cli.help.audit.prove_out": "Escribir aquí keys, head, entry y proof en JSON.",
    "cli.help.audit.old_head": "Una cabeza guardada antes (GET /v1/audit/heads/latest).",
    "cli.help.clients.add": "Registrar un cliente. Imprime su secreto una vez: solo se guarda un hash.",
    "cli.help.clients.list": "Listar los clientes: nombre, rol, estado, métodos de autenticación, CLUES.",
    "cli.help.clients.revoke": (
        "Revocar un cliente: sin tokens nuevos; sus tokens vivos dejan de servir en segundos."
    ),
    "cli.help.clients.rotate_secret": (
        "Dar a un cliente un secreto nuevo (se imprime una vez); el anterior deja de servir de inmediato."
        " Auditado."
    ),
    "cli.help.clients.rotate_key": (
        "Agregar una llave de firma nueva. Las anteriores siguen verificando los tokens que firmaron "
        "hasta que se retiren."
    ),
    "cli.help.clients.retire_key": (
        "Quitar una llave de firma vieja: los tokens que firmó dejan de verificarse. La llave vigente no "
        "se puede retirar."
    ),
    "cli.help.clients.name_new": "Identificador del cliente (letras, dígitos, . _ -).",
    "cli.help.clients.role": "bienestar, clinic, reviewer, auditor o admin.",
    "cli.help.clients.clues": (
        "CLUES de las unidades de una clínica (repita la opción o sepárelas con comas)."
    ),
    "cli.help.clients.jwks": "Conjunto JWK público para private_key_jwt.",
    "cli.help.clients.no_secret": "Sin secreto de cliente: autenticarse solo con las llaves de --jwks.",
    "cli.help.clients.name": "Identificador del cliente.",
    "cli.help.clients.kid": "Identificador de la llave (vea /.well-known/jwks.json).",
    "cli.help.token.client": "Un cliente registrado y activo.",
    "cli.help.token.scope": "Reducir los alcances (SMART v2).",
    "cli.help.demo.people": "Personas a sintetizar.",
    "cli.help.demo.no_serve": "Salir con 0 después del resumen en vez de servir.",
    "cli.help.demo.seed": "Semilla de la población sintética.",
    "cli.help.import.units": "Importar el catálogo CLUES (CSV).",
    "cli.help.import.roll": "Importar el padrón de pensiones (CSV).",
    "cli.help.import.patients": (
        "Importar el registro de una clínica (CSV, o Patient FHIR R4 en NDJSON cuando el archivo termina "
        "en .ndjson)."
    ),
    "cli.help.import.encoding": (
        "Convertir desde esta codificación (p. ej. cp1252, latin-1). Sin ella el archivo debe ser UTF-8."
    ),
    "cli.help.import.file": "El archivo a importar.",
    "cli.help.match.run": (
        "Deduplicación y vinculación por lote de todo lo cargado; imprime los conteos por decisión."
    ),
    "cli.help.match.calibrate": (
        "Reajustar la calibración de las calificaciones del modelo activo (etiquetas de CURP resueltas y "
        "de las decisiones de revisores) y recalificar las revisiones abiertas."
    ),
    "cli.help.match.evaluate": (
        "Precisión, exhaustividad y F1 por pares de los vínculos actuales contra un archivo de verdad."
    ),
    "cli.help.persons.export": "Una fila por registro de origen: source,record_id,person_id.",
    "cli.help.match.retrain": "Entrenar una versión nueva del modelo antes de calificar.",
    "cli.help.match.engine": (
        "duckdb (este proceso) o spark (el motor Spark de Splink); INTEROP_MATCH_ENGINE."
    ),
    "cli.help.match.truth": "truth.csv de interop synth.",
    "cli.help.match.json": "Imprimir el informe como JSON.",
    "cli.help.persons.out": "Archivo CSV a escribir.",
    "cli.help.synth.out": "Carpeta donde escribir los archivos CSV.",
    "cli.help.synth.people": "Número de personas reales.",
    "cli.help.synth.seed": "Misma semilla, mismos archivos, byte por byte.",
    "cli.help.synth.profile": "JSON que cambia las tasas del modelo de errores.",
    "cli.help.synth.generator": (
        "default: la población con la que se ajusta el vinculador; kin: una independiente (hogares, "
        "parientes parecidos, otro modelo de errores) para informar."
    ),
    "cli.admin.how": "Obtenga un token con cualquiera de:",
    "cli.admin.shown": "se creó el cliente de API '{name}' (rol admin). Su secreto, mostrado solo esta vez:",
    "cli.admin.in_file": (
        "se creó el cliente de API '{name}' (rol admin). Su secreto está en {path} (solo legible por este "
        "usuario): léalo, guárdelo en un lugar seguro y borre el archivo."
    ),
    "cli.demo.failed": "falló: {reason}",
    "cli.audit.walking": "recorriendo el árbol de auditoría…",
    "cli.audit.summary": (
        "árbol de {leaves} hojas con {heads} cabezas firmadas, cadena anterior de {events} eventos hasta "
        "seq {head_seq} con {checkpoints} puntos de control (llave {key}) en {seconds:.1f} s ({rate:,.0f} "
        "entradas/s)"
    ),
    "cli.audit.chain_broken": "cadena de auditoría ROTA: primera entrada mala seq {seq}: {reason}",
    "cli.audit.tree_broken": "árbol de auditoría ROTO: primera hoja mala {leaf}: {reason}",
    "cli.audit.intact": "bitácora de auditoría íntegra: {summary}",
    "cli.audit.bad_instant": "una fecha (AAAA-MM-DD) o un instante ISO 8601",
    "cli.audit.exported": "{count} hojas escritas en {path}",
    "cli.audit.empty": "el árbol está vacío",
    "cli.audit.signed": "cabeza del árbol firmada: tamaño {size}, raíz {root}, llave {kid}",
    "cli.audit.bad_event": "EVENT es el id de un AuditEvent (seq o seq-k) o AuditEvent/<id>",
    "cli.audit.no_event": "no hay un evento de auditoría confirmado {seq}",
    "cli.audit.bad_head": "OLD_HEAD_FILE no es el JSON de una cabeza",
    "cli.audit.inconsistent": "la bitácora NO es consistente con la cabeza guardada: {reason}",
    "cli.audit.consistent": "bitácora consistente: el tamaño {size} extiende el tamaño guardado {old_size}",
    "cli.audit.proved": (
        "el evento {seq} es la hoja {index} del árbol firmado de tamaño {size}; {files} escritos en {path}"
    ),
    # Un valor de la solicitud (tipos de error de pydantic; messages/validation.py)
    "validation.unknown": "valor inválido ({kind})",
    "validation.missing": "falta este campo",
    "validation.extra_forbidden": "campo no admitido",
    "validation.string_type": "debe ser texto",
    "validation.string_too_short": "debe tener al menos {min_length} caracteres",
    "validation.string_too_long": "debe tener a lo más {max_length} caracteres",
    "validation.string_pattern_mismatch": "no tiene la forma esperada ({pattern})",
    "validation.int_parsing": "debe ser un número entero",
    "validation.float_parsing": "debe ser un número",
    "validation.finite_number": "debe ser un número finito",
    "validation.bool_parsing": "debe ser true o false",
    "validation.greater_than": "debe ser mayor que {gt}",
    "validation.greater_than_equal": "debe ser mayor o igual que {ge}",
    "validation.less_than": "debe ser menor que {lt}",
    "validation.less_than_equal": "debe ser menor o igual que {le}",
    "validation.date_parsing": "debe ser una fecha AAAA-MM-DD",
    "validation.datetime_parsing": "debe ser fecha y hora ISO 8601 (AAAA-MM-DDThh:mm:ss con zona horaria)",
    "validation.timezone_aware": "debe llevar zona horaria",
    "validation.literal_error": "debe ser uno de: {expected}",
    "validation.list_type": "debe ser una lista",
    "validation.too_short": "debe tener al menos {min_length} elementos",
    "validation.too_long": "debe tener a lo más {max_length} elementos",
    "validation.model_type": "debe ser un objeto JSON",
    "validation.json_invalid": "el cuerpo no es JSON válido",
    "validation.uuid_parsing": "debe ser un UUID",
    "validation.url_parsing": "debe ser una URL válida",
    "validation.value_error": "valor inválido",
    "validation.condition_without_code": "un padecimiento necesita un código, una codificación o un texto",
    "validation.observation_without_code": "una observación necesita un código LOINC o un texto",
    # Stored failure reasons (messages.stored): a failed job, import, match run or subscription.
    "job.failed.kind": "falla inesperada ({kind}); consulte el registro del servicio",
    "job.failed.database": (
        "falla de la base de datos ({kind}, SQLSTATE {sqlstate}); consulte el registro del servicio"
    ),
    "job.no_handler": "ningún proceso ejecuta tareas de tipo {kind}",
    "job.bad_payload": "la tarea {kind} trae un dato inválido: {field}",
    "ingest.file_changed": "el archivo de la importación {import_id} falta o cambió desde que se registró",
    "matching.run_failed": (
        "la corrida falló por un error que reintentar no corrige ({kind}); revise el registro del servicio "
        "(tarea {job_id}) e informe al equipo técnico"
    ),
    "matching.run_retry": "la corrida falló ({kind}); se reintentará",
    "subscription.revoked": "el cliente fue revocado: la suscripción ya no envía notificaciones",
    "subscription.delivery_failed": "evento {event}: no se pudo entregar la notificación; se reintentará",
    "subscription.delivery_failed_final": (
        "evento {event}: no se pudo entregar la notificación y no se reintentará; "
        "consulte las Task con _lastUpdated"
    ),
    "subscription.delivery_retry": "la entrega falló ({reason}); se reintentará",
    # Why an audit verification failed (stored form in its report; read in the reader's language).
    "audit.verify.out_of_order": "entrada fuera de orden o repetida",
    "audit.verify.entry_missing": "falta una entrada (hueco en la secuencia)",
    "audit.verify.hash_mismatch": "el hash no corresponde al contenido de la entrada",
    "audit.verify.checkpoint_signature": "checkpoint {id}: la firma no se verifica con la clave {kid}",
    "audit.verify.chain_short": (
        "faltan entradas: la cadena termina en {head} pero el checkpoint {id} firmó la entrada {seq}"
    ),
    "audit.verify.chain_differs": (
        "la cadena difiere del checkpoint {id}: una entrada posterior a {good} fue alterada "
        "o la cadena reescrita"
    ),
    "audit.verify.leaf_missing_jump": "hoja {leaf}: falta (los índices de hoja saltan a {next})",
    "audit.verify.leaf_missing_end": "hoja {leaf}: falta (el intervalo termina)",
    "audit.verify.leaf_missing_head": "hoja {leaf}: falta (una cabeza firma el tamaño {size})",
    "audit.verify.leaf_event_missing": "hoja {leaf}: falta su evento seq {seq}",
    "audit.verify.leaf_altered": "hoja {leaf}: el evento seq {seq} fue alterado (su hash de hoja difiere)",
    "audit.verify.head_signature": (
        "cabeza firmada de tamaño {size}: la firma no se verifica con la clave {kid}"
    ),
    "audit.verify.head_fields": (
        "cabeza firmada de tamaño {size}: sus campos difieren de su checkpoint firmado"
    ),
    "audit.verify.head_root_altered": (
        "cabeza firmada de tamaño {size}: las hojas no reproducen su raíz (una entrada alterada o quitada)"
    ),
    "audit.verify.left_out_missing": (
        "evento seq {seq}: confirmado antes de la última cabeza firmada, pero falta en el árbol"
    ),
    "audit.verify.left_out_intake": (
        "registro seq {seq}: confirmado antes de la última cabeza firmada, pero sigue en la entrada "
        "(audit_intake) sin ser hoja del árbol"
    ),
}
