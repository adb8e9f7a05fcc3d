"""Refusals in English: the same keys and placeholders as ``refusals_es_mx``."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # auth
    "auth.bearer_required": "a bearer token is required",
    "auth.rate_limited": "rate limit exceeded",
    "auth.scope_required": "scope {scope} required",
    "auth.client_revoked": "client is revoked",
    "auth.issuer_keys_unavailable": "the token issuer's keys cannot be fetched",
    "auth.issuer_off_tokens": "the embedded issuer is off; tokens come from the configured external issuer",
    "auth.issuer_off_jwks": "the embedded issuer is off; see the external issuer's JWKS",
    "auth.token.alg_not_accepted": "token algorithm not accepted",
    "auth.token.unknown_key": "token signed by an unknown key",
    "auth.token.alg_mismatch": "token algorithm does not match its key",
    "auth.token.malformed": "malformed token",
    "auth.token.expired": "token expired",
    "auth.token.not_yet_valid": "token not yet valid",
    "auth.token.rejected": "token rejected: {reason}",
    "auth.token.client_auth_failed": "client authentication failed",
    "auth.token.client_auth_required": "client authentication is required",
    "auth.token.basic_only": "only HTTP Basic client authentication is accepted in the Authorization header",
    "auth.token.basic_malformed": "malformed Basic credentials",
    "auth.token.one_method": "use exactly one client authentication method",
    "auth.token.assertion_type": "client_assertion_type must be {expected}",
    "auth.token.assertion_needs_base_url": "private_key_jwt needs INTEROP_BASE_URL (the assertion audience)",
    "auth.token.client_id_mismatch": "client_id does not match the assertion",
    "auth.token.form_required": "the body must be application/x-www-form-urlencoded",
    "auth.token.grant_type_required": "grant_type is required",
    "auth.token.grant_unsupported": "only the client_credentials grant is supported",
    "auth.token.jti_reused": "assertion jti already used",
    "auth.token.no_scope_granted": "none of the requested scopes is granted to this client",
    "auth.token.throttled": "too many token requests; retry later",
    "auth.client.name_invalid": "client name: letters, digits, '.', '_' or '-', at most 64 characters",
    "auth.client.role_invalid": "role must be one of: {roles}",
    "auth.client.clues_invalid": "not a CLUES code: {clues}",
    "auth.client.clinic_needs_clues": "a clinic client needs at least one CLUES",
    "auth.client.clues_only_clinic": "only clinic clients are bound to CLUES",
    "auth.client.jwks_invalid": "invalid JWK set: {reason}",
    "auth.client.name_revoked": "client {name} was revoked: a revoked name is not reused, choose another",
    "auth.client.exists": (
        "client {name} already exists; for a new secret: interop clients rotate-secret {name}"
    ),
    "auth.client.needs_credentials": "a client needs a secret, a JWK set, or both",
    "auth.client.not_found": "no client named {name}",
    "auth.client.revoked_named": "client {name} is revoked; register another name",
    # fhir
    "fhir.body_not_json": "the body is not JSON",
    "fhir.bundle.not_transaction": "POST /fhir takes a transaction Bundle",
    "fhir.bundle.invalid": "not a valid Bundle: {count} problem(s), first at {path}",
    "fhir.bundle.unsupported_resources": "unsupported resources in a visit Bundle: {types}",
    "fhir.visit.entry_not_post": "every entry of a visit Bundle is a POST",
    "fhir.visit.exactly_one": "a visit Bundle holds exactly one {kind}",
    "fhir.visit.visit_identifier": "the ServiceRequest needs an identifier with system {system} (the visit)",
    "fhir.visit.visit_date": "the ServiceRequest needs authoredOn (the visit date)",
    "fhir.visit.do_not_perform": (
        "doNotPerform forbids the service; a visit without referral has no ServiceRequest"
    ),
    "fhir.visit.no_findings": (
        "a visit without referral (no ServiceRequest) needs at least one Condition or Observation"
    ),
    "fhir.visit.findings_identifier": (
        "without a ServiceRequest, the findings carry one visit identifier (system {system})"
    ),
    "fhir.visit.findings_date": "without a ServiceRequest, the findings need the visit date",
    "fhir.visit.findings_worker": (
        "without a ServiceRequest, the findings need the health worker (identifier)"
    ),
    "fhir.bundle.visit_incomplete": "the visit Bundle is incomplete: {problems}",
    "fhir.search.count_not_number": "_count must be a number",
    "fhir.search.cursor_invalid": "_cursor is not valid",
    "fhir.search.total_invalid": "_total must be none, estimate or accurate",
    "fhir.search.summary_invalid": "_summary must be true, false, text, data or count",
    "fhir.search.sort_invalid": "_sort supports _lastUpdated and -_lastUpdated",
    "fhir.search.include_unsupported": "unsupported _include: {names}",
    "fhir.search.not_an_id": "{what} must be an id",
    "fhir.search.reference_type": "reference must point at a {resource_type}",
    "fhir.search.date_format": "date must be [gt|ge|lt|le|eq]YYYY[-MM[-DD[Thh:mm[:ss[.ffffff]][Z|±hh:mm]]]]",
    "fhir.search.identifier_visit_only": "identifier: only the visit identifier system is searchable here",
    "fhir.search.identifier_clues_only": "identifier: only the CLUES system is searchable",
    "fhir.search.unit_identifier_clues": "{param}:identifier takes the CLUES system",
    "fhir.search.patient_identifier_curp": "Patient identifier search takes the CURP system",
    "fhir.auditevent.trace_id_invalid": "trace-id must be 32 lowercase hex digits",
    "fhir.auditevent.sort_invalid": "_sort must be date or -date",
    "fhir.auditevent.not_found": "AuditEvent not found",
    "fhir.organization.not_found": "Organization/{id} not found",
    "fhir.match.body_not_parameters": "the body must be a Parameters resource",
    "fhir.match.resource_required": "parameter 'resource' (a Patient) is required",
    "fhir.match.resource_not_patient": "parameter 'resource' must be a Patient",
    "fhir.match.birthdate_full": "birthDate must be a full date (YYYY-MM-DD)",
    "fhir.match.count_positive": "count must be a positive integer",
    "fhir.patch.bad_pointer": "bad JSON pointer {pointer}",
    "fhir.patch.body_shape": "a PATCH body is a JSON Patch array or a JSON Merge Patch object",
    "fhir.subscription.not_subscription": "the body must be a Subscription",
    "fhir.subscription.invalid": "not a valid Subscription: {count} problem(s), first at {path}",
    "fhir.subscription.rest_hook_only": "only rest-hook channels are supported",
    "fhir.subscription.id_only": "only id-only payloads are sent (read the Task after the notification)",
    "fhir.subscription.criteria": (
        "criteria must be the topic {topic} (Tasks) or {referral_topic} (referrals sent)"
    ),
    "fhir.task.if_match_format": 'If-Match must be a version ETag such as W/"3"',
    "fhir.task.not_task": "the body must be a Task",
    "fhir.task.id_mismatch": "the Task id in the body does not match the URL",
    "fhir.task.invalid": "not a valid Task: {count} problem(s), first at {path}",
    "fhir.task.immutable": "these Task elements cannot be changed: {elements}",
    "fhir.withdrawal.reason_required": (
        "ServiceRequest.extension({extension}) or a new note must give the reason"
    ),
    "fhir.withdrawal.not_service_request": "the body must be a ServiceRequest",
    "fhir.withdrawal.id_mismatch": "ServiceRequest.id does not match the URL",
    "fhir.withdrawal.status": "ServiceRequest.status: Bienestar may only set revoked or entered-in-error",
    "fhir.withdrawal.immutable": "ServiceRequest.{element} cannot be changed",
    # ingest
    "ingest.file_empty": "the file is empty",
    "ingest.no_data_rows": "the file has no data rows",
    "ingest.header_empty": "the header line is empty",
    "ingest.header_too_long": "the header line is longer than {max} characters",
    "ingest.unknown_encoding": "unknown encoding",
    "ingest.not_text_encoding": "not a text encoding",
    "ingest.wrong_encoding": (
        "the file is not {encoding} (undecodable byte at offset {offset}); it looks like {guessed}: "
        "export it as UTF-8, or ask for conversion with encoding={guessed} (CLI: --encoding {guessed})"
    ),
    "ingest.columns_repeated": "columns named twice in the header: {columns}",
    "ingest.columns_unknown": "unknown columns: {columns} (a {kind} file has {expected})",
    "ingest.columns_missing": "required columns missing: {columns}",
    "ingest.kind_unknown": "unknown import kind {kind}",
    "ingest.kind_unknown_expected": "unknown import kind {kind}; expected one of {expected}",
    "ingest.no_such_file": "no such file: {file}",
    "ingest.upload_needs_file": "multipart upload needs a 'file' part",
    "ingest.kind_required": "kind is required: units, roll or patients",
    "ingest.role_may_not_import": "role {role} may not import {kind}",
    "ingest.clinic_without_clues": "this clinic client is bound to no CLUES",
    "ingest.ndjson_patients_only": "FHIR NDJSON is accepted for patients only",
    "ingest.import_not_found": "no import {id}",
    "ingest.upload_too_large": "the file exceeds the upload limit of {limit} bytes; nothing was stored",
    "ingest.storage_full": "no space left in the data folder for the upload; nothing was stored",
    # referral
    "referral.not_found": "no such {kind}",
    "referral.version_not_found": "no such version",
    "referral.visit_not_found": "no such visit",
    "referral.subscription_not_found": "no such Subscription",
    "referral.version_conflict": "{kind} is at version {current}, not {asked}",
    "referral.withdraw_status": "status must be one of {statuses} to withdraw a referral",
    "referral.withdraw_reason": "withdrawing or correcting a referral needs a reason",
    "referral.already_ended": "the referral is {status}: it has already ended",
    "referral.not_waiting": "the referral is neither waiting for a route nor escalated",
    "referral.unit_not_operating": "unit {clues} does not exist or is not in operation",
    "referral.entidad_invalid": "entidad: a two-letter code, such as OC or DF",
    "referral.task.service_only": (
        "a client cannot set a Task to {status}: the unit rejects it (rejected) and only Bienestar "
        "withdraws the request"
    ),
    "referral.task.final": "task is {status}: a final state cannot be updated",
    "referral.task.transition": "task cannot go from {current} to {new}",
    "referral.task.status_unknown": "task status {status} is not used by referrals",
    "referral.task.outcome_unknown": "the outcome {code} is not in {system} (codes: {codes})",
    "referral.task.outcome_needs_end": (
        "an outcome (counter-referral) only goes with a completed or failed Task"
    ),
    "referral.subscription.limit": (
        "the client already holds {held} subscriptions; the maximum is {max} (delete one before creating "
        "another)"
    ),
    "referral.subscription.secret_format": (
        "the signing secret must be whsec_ followed by the base64 of 24 to 64 bytes"
    ),
    "referral.subscription.referrals_bienestar_only": (
        "only a Bienestar system subscribes to the referrals it sent"
    ),
    "referral.subscription.own_units": "a subscription may only cover the client's own units",
    "referral.visit.need_changed": (
        "the open referral for this need changed while the visit was posted; retry"
    ),
    "referral.visit.in_flight": "the original request for this key is still in flight; retry",
    "referral.visit.other_client": "this visit id belongs to another client's visit",
    "referral.visit.reused": "this visit id or Idempotency-Key was already used with a different body",
    # backup (CLI)
    "backup.tool_missing": "{tool} not found",
    "backup.failed": "{tool} failed: {detail}",
    "backup.no_such_file": "no such backup file: {file}",
    # ingest: why a line of an import was rejected (stored as keys: interop.messages.stored)
    "ingest.reject.not_json_object": "not a JSON object",
    "ingest.reject.not_patient": "not a FHIR Patient resource",
    "ingest.reject.invalid_patient": "not a valid FHIR R4 Patient",
    "ingest.reject.invalid_patient_at": "not a valid FHIR R4 Patient (at {where})",
    "ingest.reject.field_count": "{fields} fields; the header has {width}",
    "ingest.reject.not_csv": "the line cannot be read as CSV",
    "ingest.reject.line_too_long": "line longer than {max} characters",
    "ingest.reject.unterminated_quote": "unterminated quoted field",
    "ingest.reject.nul": "the line holds a NUL character",
    "ingest.reject.field_too_long": "a field is longer than {max} characters",
    "ingest.reject.record_id_empty": "record_id is empty",
    "ingest.reject.duplicate": "duplicate of line {first} (same identifier)",
    "ingest.reject.no_given_name": "no given name (nombre)",
    "ingest.reject.no_surname": "no surname (primer_apellido or segundo_apellido)",
    "ingest.reject.clues_empty": "clues is empty",
    "ingest.reject.clues_invalid": "clues is not an 11-character CLUES",
    "ingest.reject.nombre_empty": "nombre is empty",
    "ingest.reject.entidad_unknown": "entidad is missing or unknown",
    "ingest.reject.nivel_invalid": "nivel must be 1, 2 or 3",
    "ingest.reject.estatus_empty": "estatus is empty",
    "ingest.reject.other_unit": "clues is not one of the units this client may import for",
    # referral: why a Subscription endpoint or header is refused (stored form: interop.messages.stored)
    "referral.endpoint.not_url": "channel.endpoint is not a valid URL",
    "referral.endpoint.not_http": "channel.endpoint must be an http(s) URL",
    "referral.endpoint.credentials": (
        "channel.endpoint must not carry credentials (send them in channel.header)"
    ),
    "referral.endpoint.not_ascii": "channel.endpoint must write the host in ASCII (IDNA, xn--…)",
    "referral.endpoint.forbidden_address": (
        "channel.endpoint cannot be a link-local, multicast, unspecified, reserved or metadata address"
    ),
    "referral.endpoint.private_address": (
        "channel.endpoint cannot be a private or loopback address in this deployment"
    ),
    "referral.endpoint.host_not_allowed": (
        "the host {host} of channel.endpoint is not among this deployment's subscription hosts"
    ),
    "referral.header.too_many": "channel.header takes at most {max} headers",
    "referral.header.too_long": "channel.header[{index}] must be a text of at most {max} characters",
    "referral.header.shape": "channel.header[{index}] must have the form 'Name: value'",
    "referral.header.control": "channel.header[{index}] holds control characters",
    "referral.header.forbidden": "channel.header[{index}]: the client may not set the header {name}",
    # ingest: an import whose job gave up
    "ingest.job_failed": "the import job failed",
    # audit: proofs, heads, exports and searches
    "audit.export.zone_needed": "from and to need a time zone",
    "audit.export.to_before_from": "to must be after from",
    "audit.proof.no_head_yet": "no tree head has been signed yet",
    "audit.proof.no_head_of_size": "no signed tree head has that tree_size",
    "audit.proof.no_leaf": "no leaf at that index",
    "audit.proof.index_out_of_tree": "index must be at least 0 and below tree_size",
    "audit.proof.first_after_second": "first must be at least 1 and at most second",
    "audit.trace_id_invalid": "trace_id must be 32 lowercase hex digits",
    "audit.moment_invalid": "{name} must be a date (YYYY-MM-DD) or an ISO 8601 instant",
    "audit.signing_key_unavailable": "the audit signing key is not loaded",
    # matching: runs and reviews
    "matching.review_not_found": "identity review not found",
    "matching.review_already_decided": "the identity review is already decided",
    "matching.reversal_undecided": "only a decided review can be reversed",
    "matching.reversal_reason_needed": "reversing a decision needs a reason",
    "matching.reversal_stale": "the decision has changed; read the review again",
    "matching.engine_unknown": "unknown engine: '{engine}' (engines: {engines})",
    "matching.engine_needs_pyspark": "the spark engine needs pyspark: pip install 'interop[spark]'",
    "matching.run_not_found": "match run not found",
    "matching.truth_file_columns": "the truth file needs the columns source, record_id and person_id",
}
