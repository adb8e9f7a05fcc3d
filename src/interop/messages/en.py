"""English messages, available by ``Accept-Language``. Same keys and placeholders as ``es_mx``."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "error.internal": "internal error",
    "error.unavailable": "the database is unavailable; retry later",
    "error.crossed": "another operation on the same data crossed this one; nothing was stored, send it again",
    "error.busy": "the database cannot take this now; retry later",
    "error.validation": "request validation failed",
    "error.not_found": "not found",
    "error.method_not_allowed": "method not allowed",
    "error.body_too_large": "request body too large",
    "error.out_of_range": "a value is out of range or malformed",
    "error.unknown_code_system": "no CodeSystem {id}",
    "priority.routine": "routine",
    "priority.urgent": "urgent",
    "priority.asap": "asap",
    "priority.stat": "stat",
    "care.title": "Care requested",
    "care.description": "The kind of care a Salud Casa por Casa visit asks of the unit.",
    "care.consulta-primer-nivel": "First-level consultation",
    "care.consulta-primer-nivel.definition": "A consultation at a health centre or first-level unit.",
    "care.valoracion-domiciliaria": "Home assessment",
    "care.valoracion-domiciliaria.definition": (
        "The unit's team or a mobile unit assesses the person at home."
    ),
    "care.especialidad": "Specialty",
    "care.especialidad.definition": "Assessment by a specialist (second level or above).",
    "care.laboratorio": "Laboratory",
    "care.laboratorio.definition": "Laboratory or imaging studies.",
    "care.urgencias": "Emergency",
    "care.urgencias.definition": "Emergency care at a hospital, the same day.",
    "routing.registry_unit": "already a patient at {clues} (level {level}, operating)",
    "routing.registry_unit_level": "priority {priority} needs level {required}",
    "routing.nearest": (
        "nearest operating unit of level {required} or above for priority {priority}: {km} km from {origin}"
    ),
    "routing.first_level": (
        "the first level is the entry point: first-level unit {km} km from {origin} (within {max_km} km)"
    ),
    "routing.home_visit": (
        "the person cannot leave home: home-visit capable unit ({unit_type}) {km} km from {origin}"
    ),
    "routing.home_visit_none": "no home-visit capable unit within reach; sent to the unit",
    "routing.imb_preferred": "{entidad} is adhered to IMSS-Bienestar: an IMB unit is preferred",
    "routing.placed_by_municipality": "the unit has no coordinates: placed by its municipality",
    "routing.registry_not_eligible": "registry unit(s) not eligible: {clues}",
    "routing.rerouted": "re-routed after rejection by {clues}: {reason}",
    "routing.rejected_no_unit": "rejected by {clues}; no further unit of the needed level",
    "routing.origin.coordinates": "the visit coordinates",
    "routing.origin.locality": "the locality of the visit",
    "routing.no_unit": "no operating unit of the needed level could be found for this visit",
    "unit_type.centro-salud": "health centre",
    "unit_type.umr": "rural medical unit",
    "unit_type.umu": "urban medical unit",
    "unit_type.hospital-rural": "rural hospital",
    "unit_type.hospital-general": "general hospital",
    "unit_type.hospital-especialidad": "specialty hospital",
    "unit_type.unidad-movil": "mobile medical unit",
    "unit_type.brigada": "health brigade",
    "unit_type.uneme": "UNEME",
    "unit_type.caro": "rural obstetric care centre (CARO)",
    "display.referral": "Patient referral",
    "display.fulfill": "Fulfill the focal request",
    "display.home_visit": "Home visit",
    "display.provisional": "Provisional",
    "display.provisional_patient": "Built from a home visit; identity under review",
    "display.active": "Active",
    "display.program": "Pensiones para el Bienestar programme",
    "display.health_worker": "Salud Casa por Casa",
    "display.place_found": "Place where the person was found",
    "display.home_bound": "Home-bound",
    "display.disability": "Disability",
    "display.functional_status": "Functional status",
    "display.mobility": "Mobility",
    "display.caregiver": "Caregiver",
    "display.medication_needs": "Medication needs",
    "display.routing": "Routing ({rule}): {reason}",
    "display.finding_text": "Health worker's finding (to be confirmed)",
    "display.blood_pressure": "Blood pressure",
    "display.systolic": "Systolic blood pressure",
    "display.diastolic": "Diastolic blood pressure",
    "display.glucose": "Capillary glucose",
    "display.heart_rate": "Heart rate",
    "display.body_weight": "Body weight",
    "display.body_height": "Body height",
    "display.body_temperature": "Body temperature",
    "display.oxygen_saturation": "Oxygen saturation",
    "display.respiratory_rate": "Respiratory rate",
    "display.bmi": "Body mass index",
    "display.vital_signs": "Vital signs",
    "display.survey": "Survey",
    "home_finding.title": "Home finding",
    "home_finding.description": ("What a Salud Casa por Casa visit records of a person's autonomy at home."),
    "home_finding.discapacidad": "Disability",
    "home_finding.movilidad": "Mobility",
    "home_finding.no-sale-de-casa": "Home-bound",
    "home_finding.persona-cuidadora": "Caregiver",
    "home_finding.necesidades-medicamentos": "Medication needs",
    "disability.title": "Kind of disability",
    "disability.description": "The kind of disability found at the visit.",
    "mobility.title": "Mobility",
    "mobility.description": "How the person moves in and out of their home.",
    "disability.fisica": "physical or motor",
    "disability.visual": "visual",
    "disability.auditiva": "hearing",
    "disability.intelectual": "intellectual",
    "disability.psicosocial": "psychosocial",
    "disability.multiple": "multiple",
    "mobility.independiente": "walks unaided",
    "mobility.con-ayuda": "walks with help (cane, walker or another person)",
    "mobility.silla-de-ruedas": "uses a wheelchair",
    "mobility.encamado": "bedridden",
    "warning.icd10_format": "the CIE-10 code “{code}” is not well formed; the finding is kept as text",
    "warning.icd10_unknown": (
        "the CIE-10 code “{code}” is not in the CIE-10 catalogue; the finding is kept as text"
    ),
    "warning.ucum_unit": (
        "the unit “{unit}” is not the UCUM unit expected for {code} ({expected}); the measurement is kept "
        "as text"
    ),
    "warning.value_range": (
        "the value {value} {unit} of {code} is outside the possible range; the measurement is kept as text"
    ),
    "warning.unknown_term": "the value “{value}” of {field} is not recognised; it is kept as text",
    "search.date_invalid": "{param}: expected a date YYYY-MM-DD with an optional prefix (eq, ge, gt, le, lt)",
    "bundle.referral_created": "{task} owned by {clues}; routing {rule}: {reason}; match grade {grade}",
    "bundle.finding_kept": (
        "kept as a finding of {service_request} (Condition, Observation or functional status)"
    ),
    "cli.import.ndjson_patients_only": "FHIR NDJSON is accepted for patients only",
    "cli.import.checking": "checking {file}",
    "cli.import.duplicate": "this file was already imported (import {import_id}): nothing changed",
    "cli.import.resuming": "resuming import {import_id} after line {line}",
    "cli.import.summary": (
        "import {import_id} ({kind}): {state} · rows {rows} · stored {stored} (new records {new_records}, "
        "new versions {new_versions}, unchanged {unchanged}) · rejected {rejected}"
    ),
    "cli.import.rejects": "rejected lines: GET /v1/imports/{import_id}/rejects",
    # Moved into the catalogue (cleanup): FHIR visits, the demo, model training
    "visit.field.visit_id": "the visit identifier",
    "visit.field.visit_date": "the visit date",
    "visit.field.note": "the note",
    "visit.field.person": "the person",
    "visit.field.person.nombre": "the given name",
    "visit.field.person.primer_apellido": "the first surname",
    "visit.field.person.segundo_apellido": "the second surname",
    "visit.field.person.fecha_nacimiento": "the birth date",
    "visit.field.person.sexo": "the gender",
    "visit.field.person.curp": "the CURP",
    "visit.field.person.roll_record_id": "the roll record",
    "visit.field.person.entidad": "the state (two letters)",
    "visit.field.person.municipio": "the municipality",
    "visit.field.person.localidad": "the locality",
    "visit.field.person.domicilio": "the address",
    "visit.field.person.telefono": "the phone",
    "visit.field.person.latitud": "the latitude",
    "visit.field.person.longitud": "the longitude",
    "visit.field.findings.conditions": "the ICD-10 diagnosis",
    "visit.field.findings.observations": "the observation",
    "visit.field.findings.disability": "the disability",
    "visit.field.health_worker_id": "the health worker who made the visit (requester.identifier)",
    "visit.field.urgency": "the priority",
    "visit.field.bundle": "the Bundle",
    "visit.missing": "{path} is required: {what}",
    "visit.invalid": "{path} is not valid: {what}",
    "visit.structure": "{path} is invalid ({kind})",
    "demo.summary.no_reason": "no reason given",
    "demo.summary.title": "Summary of the demonstration (read from the database and the API)",
    "demo.summary.persons": "  persons in the index: {n}",
    "demo.summary.linked": "  persons linked between roll and clinics: {n}",
    "demo.summary.reviews_open": "  identity reviews queued: {n}",
    "demo.summary.match_run": "  matching run: {id} (model {model})",
    "demo.summary.visits": "  visits stored: {stored} of {sent} sent",
    "demo.summary.referrals": "  referrals: {n} (with a provisional patient, to review: {provisional})",
    "demo.summary.per_unit": "  referrals per unit (CLUES: total, pending, completed):",
    "demo.summary.unplaceable": "  visit with no possible unit: {text}",
    "demo.summary.case": "  traced case: visit {visit} → unit {unit}",
    "demo.summary.task_states": "  task states: {states}",
    "demo.summary.case_events": "  audit events of the case: {n} ({kinds}) · /v1/trace/{trace}",
    "demo.summary.audit": "  audit verified: {verdict} ({n} events, {heads} signed heads)",
    "demo.summary.audit_intact": "intact",
    "demo.summary.audit_altered": "ALTERED",
    "matching.field.given_full": "given name",
    "matching.field.given_main": "given name",
    "matching.field.ap1": "first surname",
    "matching.field.ap2": "second surname",
    "matching.field.dob": "birth date",
    "matching.field.curp": "CURP",
    "matching.field.sexo": "sex",
    "matching.field.entidad": "state",
    "matching.field.municipio": "municipality",
    "matching.field.domicilio": "address",
    "matching.untrainable.and": " and ",
    "matching.untrainable.nor": "; nor on ",
    "matching.untrainable.default_fields": "given name, surname and birth date",
    "matching.untrainable.lacks": "; the data lacks {fields}",
    "matching.untrainable": (
        "the model cannot be trained: no pair of records agrees on {fields}{lacks}. Import records that "
        "carry them (or more records of the same people) and run the matching again"
    ),
    "matching.untrainable_fixed": (
        "the model cannot be trained: every pair it could learn from is chosen because it agrees on "
        "{fields}, so nothing shows what agreeing on them is worth. Import records that also carry a "
        "birth date, a CURP or an address and run the matching again"
    ),
    "matching.untrainable_records": (
        "the model cannot be trained: at least two records are needed and {count} are loaded. Import the "
        "pension roll or the units' registries and run the matching again"
    ),
    "bundle.referral_waiting": "waiting to be routed ({why}); match grade {grade}",
    "patch.too_many_ops": "the JSON Patch has {count} operations; at most {max} are accepted",
    "patch.not_an_object": "JSON Patch operation {number} is not an object",
    "patch.test_failed": "JSON Patch test failed at {path}",
    "patch.op_too_large": "operation {number} ({kind} at {path}) leaves the resource over {max} bytes",
    "patch.op_too_deep": "operation {number} ({kind} at {path}) nests deeper than {max} levels",
    "patch.unknown_op": "unknown JSON Patch op {op}",
    "patch.does_not_apply": "the JSON Patch does not apply to this Task",
    "patch.merge_too_deep": "the JSON Merge Patch nests deeper than {max} levels",
    "patch.merge_too_large": "the JSON Merge Patch leaves the resource over {max} bytes",
    "accounts.password_short": "the password needs at least {min} characters",
    "accounts.password_long": "the password is too long",
    "accounts.username_invalid": (
        "invalid user name: 2 to 64 characters a-z 0-9 . _ @ - (not a CURP nor a name)"
    ),
    "accounts.role_unknown": "unknown role; use one of: {roles}",
    "accounts.unit_staff_needs_clues": "unit staff need at least one CLUES (--clues)",
    "accounts.manager_needs_entidad": "a manager needs at least one entidad (--entidad)",
    "accounts.clues_only_unit_staff": "only unit staff (unit_staff) carry CLUES",
    "accounts.entidades_only_manager": "only a manager (manager) carries entidades",
    "accounts.clues_invalid": "invalid CLUES: {clues}",
    "accounts.entidad_invalid": "invalid entidad (two letters, as in the CURP): {entidad}",
    "accounts.totp_required": "the role {role} requires a second factor: add --totp",
    "accounts.exists": "a user of that name already exists",
    "accounts.not_found": "user not found",
    "accounts.oidc_subject_taken": "that identity provider subject is bound to another user",
    "accounts.oidc_subject_invalid": "the identity provider subject must be 1 to 255 printable characters",
    "search.unknown_param": "unknown or unsupported search parameter: {name}",
    "search.too_many_values": (
        "the parameter {name} carries more than {limit} values; at most {limit} are accepted"
    ),
    "search.last_updated_invalid": (
        "_lastUpdated must be a date or an instant with a prefix gt, ge, lt, le or eq"
    ),
    "search.date_not_calendar": (
        "date is not a calendar date: [gt|ge|lt|le|eq]YYYY[-MM[-DD[Thh:mm[:ss[.ffffff]][Z|±hh:mm]]]]"
    ),
    "auth.acting_user_invalid": (
        "X-Acting-User must be a user identifier (letters, digits, . _ @ : -), not a name nor a CURP"
    ),
    # CLI: the other commands (es-MX by default; INTEROP_LANGUAGE=en for English)
    "cli.serve.port_in_use": "port {port} on {host} is already in use",
    "cli.serve.cannot_listen": "cannot listen on {host}:{port}: {reason}",
    "cli.serve.log_format": "--log-format: one of {choices}",
    "cli.serve.listening": "interop listening on {url} (data in {data_dir})",
    "cli.serve.owner_warning": (
        "warning: DATABASE_URL is a superuser or the tables' owner, which could disable the audit trail's "
        "protection; connect as a member of interop_app"
    ),
    "cli.serve.unsafe_allowed": (
        "WARNING: embedded PostgreSQL with {settings}: a crash can lose acknowledged writes "
        "(INTEROP_EMBEDDED_ALLOW_UNSAFE)"
    ),
    "cli.serve.unsafe_refused": (
        "embedded PostgreSQL with {settings} in {pgdata}: a crash would lose acknowledged writes; turn them "
        "on (ALTER SYSTEM RESET) or use INTEROP_EMBEDDED_ALLOW_UNSAFE=true with test data only"
    ),
    "cli.migrate.done": "database at migration head {head}",
    "cli.backup.done": "backup written to {path} ({size} bytes)",
    "cli.restore.done": "backup restored",
    "cli.file.written": "wrote {path}",
    "cli.clients.jwks_unreadable": "cannot read the JWK set ({error})",
    "cli.clients.jwks_shape": "the JWK set must be a JSON object with 'keys'",
    "cli.clients.created": "client {name} created (role {role})",
    "cli.clients.secret_once": "secret (shown only now; store it safely):",
    "cli.clients.revoked": "client {name} revoked",
    "cli.clients.rotated": "client {name}: new secret; the old one no longer works",
    "cli.clients.header": "NAME|ROLE|STATE|AUTH|CLUES",
    "cli.clients.active": "active",
    "cli.clients.inactive": "revoked",
    "cli.clients.no_active": "no active client named {name}",
    "cli.keys.new": "new signing key {kid}; {count} key(s) in the JWKS",
    "cli.keys.unknown": "no key {kid}",
    "cli.keys.current": "the current signing key cannot be retired; rotate first (clients rotate-key)",
    "cli.keys.retired": "key {kid} retired",
    "cli.token.issuer_off": "the embedded issuer is off (INTEROP_AUTH_JWKS_URL is set)",
    "cli.users.no_password": "no password on standard input",
    "cli.users.one_time_password": "one-time password (shown only now; changed at first sign-in):",
    "cli.users.totp_uri": "second factor (TOTP): register this URI in your app; shown only now:",
    "cli.users.created": "user {name} created (role {role})",
    "cli.users.header": "USER|ROLE|STATE|TOTP|CLUES/ENTIDADES|LAST SIGN-IN",
    "cli.users.active": "active",
    "cli.users.inactive": "disabled",
    "cli.users.yes": "yes",
    "cli.users.no": "no",
    "cli.users.disabled": "user {name} disabled",
    "cli.users.reset": "user {name} reset",
    "cli.users.subject_or_unbind": "give the subject or --unbind, not both",
    "cli.users.bound": "user {name} bound to the identity provider",
    "cli.users.unbound": "user {name} has no identity-provider sign-in",
    "cli.match.unknown_engine": "unknown engine: {engine} (one of {choices})",
    "cli.match.progress": "matching: {stage}",
    "cli.match.failed": "match run {run_id} did not finish ({state}){reason}",
    "cli.match.done": "match run {run_id} (model {model}, engine {engine})",
    "cli.match.count.records": "records",
    "cli.match.count.scored": "records scored",
    "cli.match.count.pairs_scored": "pairs scored",
    "cli.match.count.auto_pairs": "pairs linked automatically",
    "cli.match.count.persons_new": "new persons",
    "cli.match.count.reviews_new": "new reviews",
    "cli.match.count.reviews_open": "open reviews",
    "cli.match.count.kept_apart": "pairs kept apart by a rule",
    "cli.match.fields": "fields used: {fields}",
    "cli.match.no_relatives_rules": (
        "rules for relatives: not applied (no CURP or sex, and the records show no households)"
    ),
    "cli.match.reviews": (
        "reviews of this run: {queued} queued, {decided} decided, {matches} found the same person"
    ),
    "cli.match.links": "links {decision}: {count}",
    "cli.match.calibration": "calibration {calibration_id}: labels: {labels}; {rescored} reviews rescored",
    "cli.match.untrained": (
        "untrained levels ({count}; no training pair showed them, they keep their prior m — normal with "
        "little data): {levels}"
    ),
    "cli.match.none": "none",
    "cli.match.no_model": "no active model: run `interop match run`",
    "cli.match.truth": "records in truth: {in_truth}, assigned: {assigned}",
    "cli.match.scores": (
        "precision {precision:.4f}  recall {recall:.4f}  f1 {f1:.4f}  "
        "(tp {tp}, predicted {predicted}, true {true})"
    ),
    "cli.persons.exported": "wrote {count} rows to {path}",
    "cli.synth.title": "interop synth — {people:,} people, seed {seed}",
    "cli.synth.columns": "file|rows|detail|MB",
    "cli.synth.roll": "PAM {pam:,}, PCD {pcd:,}; {duplicates:,} duplicate rows",
    "cli.synth.patients": "registrations at 1–3 units per person",
    "cli.synth.units": "{count:,} not operating",
    "cli.synth.noise": "noise applied per record",
    "cli.synth.written": "written to {path} in {seconds:.1f} s",
    # CLI help (--help)
    "cli.help.serve": "Start the API (embedded PostgreSQL unless DATABASE_URL is set; migrations applied).",
    "cli.help.migrate": "Apply the database migrations (to DATABASE_URL, or the embedded server) and exit.",
    "cli.help.backup": "Write a consistent backup of the database (embedded or DATABASE_URL).",
    "cli.help.restore": (
        "Restore a backup into an empty database (a fresh data folder, or an empty DATABASE_URL)."
    ),
    "cli.help.openapi": "Write the OpenAPI documents (v1 JSON API and FHIR) into a folder.",
    "cli.help.app": "Pensiones para el Bienestar ↔ IMSS-Bienestar: imports, matching, referrals, audit.",
    "cli.help.import": "Import CLUES units, the pension roll or a clinic registry.",
    "cli.help.match": "Batch matching runs and their evaluation.",
    "cli.help.persons": "The person index.",
    "cli.help.audit": "Verify and export the audit trail.",
    "cli.help.clients": "API clients of the embedded issuer.",
    "cli.help.users": "People who sign in to the web pages.",
    "cli.help.token": "Mint a token for a registered client (the token alone, last line).",
    "cli.help.synth": "Write a synthetic population: roll, registries, units and truth.",
    "cli.help.demo": "A small state end to end, a readable summary; then serves (unless --no-serve).",
    "cli.help.host": "Address to listen on.",
    "cli.help.port": "Port to listen on.",
    "cli.help.serve.no_worker": "Do not run the job worker here.",
    "cli.help.serve.workers": "API processes sharing the port (default INTEROP_WORKERS, else 1).",
    "cli.help.serve.log_format": "auto (short lines on a terminal, JSON lines otherwise), human or json.",
    "cli.help.backup.out": "File to write (pg_dump custom format).",
    "cli.help.restore.dump": "A file written by `interop backup`.",
    "cli.help.openapi.out": "Folder for the OpenAPI documents.",
    "cli.help.users.add": (
        "Create a person's account. Without --password-stdin or --oidc-subject a one-time password is "
        "printed."
    ),
    "cli.help.users.list": (
        "List the accounts: name, role, state, second factor, units or entidades, last sign-in."
    ),
    "cli.help.users.disable": "Disable an account; its open sessions end at their next page.",
    "cli.help.users.reset": (
        "New password (one-time unless --password-stdin), lockout lifted, account enabled, sessions ended."
    ),
    "cli.help.users.oidc": (
        "Bind an account to the person's subject at the OpenID Connect provider (or --unbind it); the "
        "account's open sessions end."
    ),
    "cli.help.users.name_new": "User name (a-z 0-9 . _ @ -).",
    "cli.help.users.role": "reviewer, auditor, unit_staff, manager or admin.",
    "cli.help.users.clues": "CLUES of a unit_staff's units (repeat, or comma-separated).",
    "cli.help.users.entidades": "Entidades of a manager (two-letter CURP codes; repeat or commas).",
    "cli.help.users.password_stdin": "Read the password from standard input.",
    "cli.help.users.totp": "Enrol a TOTP second factor (prints its URI once).",
    "cli.help.users.oidc_subject_new": (
        "The person's subject (`sub`) at the OpenID Connect provider. Without --password-stdin the "
        "account has no local password: it signs in only through the provider."
    ),
    "cli.help.users.name": "User name.",
    "cli.help.users.new_password_stdin": "Read the new password from standard input.",
    "cli.help.users.new_totp": "Enrol a new TOTP second factor.",
    "cli.help.users.oidc_subject": "The person's subject (`sub`) at the OpenID Connect provider.",
    "cli.help.users.unbind": "Remove the OpenID Connect sign-in.",
    "cli.help.audit.verify": (
        "Walk the hash chain and every signed checkpoint, then the Merkle tree and every signed head; "
        "exit 1 naming the first bad entry."
    ),
    "cli.help.audit.export": (
        "Write the tree leaves of a date range as NDJSON, ending with the signed head that covers them."
    ),
    "cli.help.audit.checkpoint": (
        "Sequence the committed events and sign the tree head now (the job worker does it within "
        "audit_max_merge_delay_s anyway)."
    ),
    "cli.help.audit.prove": (
        "Prove that one event is in the latest signed tree: the documents the standalone verifier checks "
        "(python -m interop.audit.verify_proof inclusion …), checked here too before they are written."
    ),
    "cli.help.audit.check_consistency": (
        "Check that the latest signed tree extends the saved one (nothing changed or removed); exit 1 if not."
    ),
    "cli.help.audit.workers": "Processes walking chain and leaf ranges in parallel (0: CPU count).",
    "cli.help.audit.public_key": "Trust this Ed25519 public key (PEM).",
    "cli.help.audit.from": "Start (inclusive): date or instant, UTC.",
    "cli.help.audit.to": "End (exclusive): date or instant, UTC.",
    "cli.help.audit.out": "NDJSON file to write.",
    "cli.help.audit.event": "The AuditEvent: its id (seq or seq-k) or AuditEvent/<id>.",
    "cli.help.audit.prove_out": "Write keys, head, entry, proof JSON here.",
    "cli.help.audit.old_head": "A head saved earlier (GET /v1/audit/heads/latest).",
    "cli.help.clients.add": "Register a client. Prints its secret once: only a hash is stored.",
    "cli.help.clients.list": "List the clients: name, role, state, authentication methods, CLUES.",
    "cli.help.clients.revoke": "Revoke a client: no new tokens; its live tokens stop working within seconds.",
    "cli.help.clients.rotate_secret": (
        "Give a client a new secret (printed once); the old one stops working at once. Audited."
    ),
    "cli.help.clients.rotate_key": (
        "Add a new signing key. Older keys keep verifying the tokens they signed until retired."
    ),
    "cli.help.clients.retire_key": (
        "Remove an old signing key: tokens it signed stop verifying. The current key cannot be retired."
    ),
    "cli.help.clients.name_new": "Client id (letters, digits, . _ -).",
    "cli.help.clients.role": "bienestar, clinic, reviewer, auditor or admin.",
    "cli.help.clients.clues": "CLUES of a clinic's units (repeat, or comma-separated).",
    "cli.help.clients.jwks": "Public JWK set for private_key_jwt.",
    "cli.help.clients.no_secret": "No client secret: authenticate only with --jwks keys.",
    "cli.help.clients.name": "Client id.",
    "cli.help.clients.kid": "Key id (see /.well-known/jwks.json).",
    "cli.help.token.client": "A registered, active client.",
    "cli.help.token.scope": "Narrow the scopes (SMART v2).",
    "cli.help.demo.people": "People to synthesise.",
    "cli.help.demo.no_serve": "Exit 0 after the summary instead of serving.",
    "cli.help.demo.seed": "Seed of the synthetic population.",
    "cli.help.import.units": "Import the CLUES catalogue (CSV).",
    "cli.help.import.roll": "Import the pension roll (CSV).",
    "cli.help.import.patients": (
        "Import a clinic registry (CSV, or FHIR R4 Patient NDJSON when the file ends in .ndjson)."
    ),
    "cli.help.import.encoding": (
        "Convert from this encoding (e.g. cp1252, latin-1). Without it the file must be UTF-8."
    ),
    "cli.help.import.file": "The file to import.",
    "cli.help.match.run": (
        "Batch deduplication and linkage over everything loaded; prints counts per decision."
    ),
    "cli.help.match.calibrate": (
        "Refit the score calibration of the active model (labels from settled CURPs and reviewers' "
        "decisions) and rescore the open reviews."
    ),
    "cli.help.match.evaluate": "Pairwise precision / recall / F1 of the current links against a truth file.",
    "cli.help.persons.export": "One row per source record: source,record_id,person_id.",
    "cli.help.match.retrain": "Train a new model version before scoring.",
    "cli.help.match.engine": "duckdb (this process) or spark (Splink's Spark backend); INTEROP_MATCH_ENGINE.",
    "cli.help.match.truth": "truth.csv from interop synth.",
    "cli.help.match.json": "Print the report as JSON.",
    "cli.help.persons.out": "CSV file to write.",
    "cli.help.synth.out": "Folder to write the CSV files into.",
    "cli.help.synth.people": "Number of real people.",
    "cli.help.synth.seed": "Same seed, same files, byte for byte.",
    "cli.help.synth.profile": "JSON overriding error-model rates.",
    "cli.help.synth.generator": (
        "default: the population the matcher is tuned on; kin: an independent one (households, relatives "
        "as look-alikes, another error model) to report on."
    ),
    "cli.admin.how": "Get a token with either of:",
    "cli.admin.shown": "created the API client '{name}' (role admin). Its secret, shown only this once:",
    "cli.admin.in_file": (
        "created the API client '{name}' (role admin). Its secret is in {path} (readable by this user "
        "only): read it, store it safely and delete the file."
    ),
    "cli.demo.failed": "failed: {reason}",
    "cli.audit.walking": "walking the audit tree…",
    "cli.audit.summary": (
        "tree of {leaves} leaves with {heads} signed heads, legacy chain of {events} events up to seq "
        "{head_seq} with {checkpoints} checkpoints (key {key}) in {seconds:.1f} s ({rate:,.0f} entries/s)"
    ),
    "cli.audit.chain_broken": "audit chain BROKEN: first bad entry seq {seq}: {reason}",
    "cli.audit.tree_broken": "audit tree BROKEN: first bad leaf {leaf}: {reason}",
    "cli.audit.intact": "audit log intact: {summary}",
    "cli.audit.bad_instant": "a date (YYYY-MM-DD) or an ISO 8601 instant",
    "cli.audit.exported": "wrote {count} leaves to {path}",
    "cli.audit.empty": "the tree is empty",
    "cli.audit.signed": "signed tree head size {size} root {root} with key {kid}",
    "cli.audit.bad_event": "EVENT is an AuditEvent id (seq or seq-k) or AuditEvent/<id>",
    "cli.audit.no_event": "no committed audit event {seq}",
    "cli.audit.bad_head": "OLD_HEAD_FILE is not a head's JSON",
    "cli.audit.inconsistent": "audit log NOT consistent with the saved head: {reason}",
    "cli.audit.consistent": "audit log consistent: size {size} extends the saved size {old_size}",
    "cli.audit.proved": (
        "event {seq} is leaf {index} of the signed tree of size {size}; wrote {files} to {path}"
    ),
    # One value of the request (pydantic error types; messages/validation.py)
    "validation.unknown": "invalid value ({kind})",
    "validation.missing": "this field is required",
    "validation.extra_forbidden": "field not allowed",
    "validation.string_type": "must be a string",
    "validation.string_too_short": "must have at least {min_length} characters",
    "validation.string_too_long": "must have at most {max_length} characters",
    "validation.string_pattern_mismatch": "does not have the expected form ({pattern})",
    "validation.int_parsing": "must be a whole number",
    "validation.float_parsing": "must be a number",
    "validation.finite_number": "must be a finite number",
    "validation.bool_parsing": "must be true or false",
    "validation.greater_than": "must be greater than {gt}",
    "validation.greater_than_equal": "must be greater than or equal to {ge}",
    "validation.less_than": "must be less than {lt}",
    "validation.less_than_equal": "must be less than or equal to {le}",
    "validation.date_parsing": "must be a date YYYY-MM-DD",
    "validation.datetime_parsing": "must be an ISO 8601 date and time (YYYY-MM-DDThh:mm:ss with a time zone)",
    "validation.timezone_aware": "must carry a time zone",
    "validation.literal_error": "must be one of: {expected}",
    "validation.list_type": "must be a list",
    "validation.too_short": "must have at least {min_length} items",
    "validation.too_long": "must have at most {max_length} items",
    "validation.model_type": "must be a JSON object",
    "validation.json_invalid": "the body is not valid JSON",
    "validation.uuid_parsing": "must be a UUID",
    "validation.url_parsing": "must be a valid URL",
    "validation.value_error": "invalid value",
    "validation.condition_without_code": "a condition needs a code, a coding or a text",
    "validation.observation_without_code": "an observation needs a LOINC code or a text",
    # Stored failure reasons (messages.stored): a failed job, import, match run or subscription.
    "job.failed.kind": "unexpected failure ({kind}); see the service log",
    "job.failed.database": "database failure ({kind}, SQLSTATE {sqlstate}); see the service log",
    "job.no_handler": "no process runs jobs of kind {kind}",
    "job.bad_payload": "the {kind} job carries an invalid {field}",
    "ingest.file_changed": "the file of import {import_id} is missing or has changed since it was registered",
    "matching.run_failed": (
        "the match run failed with an error retrying cannot fix ({kind}); see the service log "
        "(job {job_id}) and report it to the technical team"
    ),
    "matching.run_retry": "the match run failed ({kind}); it will be retried",
    "subscription.revoked": "the client was revoked: the subscription sends no more notifications",
    "subscription.delivery_failed": (
        "event {event}: the notification could not be delivered; it will be retried"
    ),
    "subscription.delivery_failed_final": (
        "event {event}: the notification could not be delivered and will not be retried; "
        "search Tasks with _lastUpdated"
    ),
    "subscription.delivery_retry": "the delivery failed ({reason}); it will be retried",
    # Why an audit verification failed (stored form in its report; read in the reader's language).
    "audit.verify.out_of_order": "entry out of order or repeated",
    "audit.verify.entry_missing": "entry missing (sequence gap)",
    "audit.verify.hash_mismatch": "hash does not match the entry's content",
    "audit.verify.checkpoint_signature": "checkpoint {id}: signature does not verify with key {kid}",
    "audit.verify.chain_short": (
        "entries missing: the chain ends at {head} but checkpoint {id} signed entry {seq}"
    ),
    "audit.verify.chain_differs": (
        "chain differs from checkpoint {id}: an entry after {good} was altered or the chain rewritten"
    ),
    "audit.verify.leaf_missing_jump": "leaf {leaf}: missing (the leaf indexes jump to {next})",
    "audit.verify.leaf_missing_end": "leaf {leaf}: missing (the range ends)",
    "audit.verify.leaf_missing_head": "leaf {leaf}: missing (a head signs size {size})",
    "audit.verify.leaf_event_missing": "leaf {leaf}: its event seq {seq} is missing",
    "audit.verify.leaf_altered": "leaf {leaf}: event seq {seq} was altered (its leaf hash differs)",
    "audit.verify.head_signature": "signed head of size {size}: signature does not verify with key {kid}",
    "audit.verify.head_fields": "signed head of size {size}: its fields differ from its signed checkpoint",
    "audit.verify.head_root_altered": (
        "signed head of size {size}: the leaves do not reproduce its root (an entry altered or removed)"
    ),
    "audit.verify.left_out_missing": (
        "event seq {seq}: committed before the latest signed head but missing from the tree"
    ),
    "audit.verify.left_out_intake": (
        "record seq {seq}: committed before the latest signed head but still in the intake "
        "(audit_intake), not a leaf of the tree"
    ),
}
