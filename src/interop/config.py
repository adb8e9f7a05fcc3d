"""Settings, read from the environment (prefix ``INTEROP_``; ``DATABASE_URL`` without prefix)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTEROP_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "INTEROP_DATABASE_URL"),
        description="postgresql+asyncpg://… of an external server; unset starts the embedded one.",
    )
    database_owner_url: str | None = Field(
        default=None,
        description="postgresql+asyncpg://… of the tables' owner, for migrations, backup and restore when "
        "DATABASE_URL names the application's own (non-owner) login role; unset: DATABASE_URL does both.",
    )
    data_dir: Path = Field(default=Path(".interop"), description="Embedded database, keys and uploads.")
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str | None = Field(
        default=None,
        description="Public base URL: FHIR links and the private_key_jwt audience (unset: no assertions).",
    )
    log_level: str = "INFO"
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_connect_timeout_s: float = 5.0
    migrate_on_start: bool = Field(default=True, description="`interop serve` applies migrations first.")
    workers: int = Field(default=1, ge=1, description="API processes `interop serve` starts.")
    run_worker: bool = Field(default=True, description="Run the job worker inside the API process.")
    worker_poll_interval_s: float = 0.5
    job_stale_after_s: float = 60.0
    db_retry_max_s: float = Field(
        default=30.0,
        gt=0,
        description="Longest wait between two attempts of a background loop (job worker) to reach an "
        "unreachable database; the wait doubles from worker_poll_interval_s up to this.",
    )

    # The embedded server (no DATABASE_URL): `interop serve` watches it and starts it again when it dies.
    embedded_check_interval_s: float = Field(
        default=1.0, gt=0, description="How often the embedded server's process is checked."
    )
    embedded_probe_every_s: float = Field(
        default=5.0, gt=0, description="How often the embedded server is asked to answer `SELECT 1`."
    )
    embedded_hang_probes: int = Field(
        default=3,
        ge=1,
        description="Probes in a row without an answer (each db_connect_timeout_s) after which a running "
        "but unresponsive embedded server is killed and started again.",
    )
    embedded_restart_limit: int = Field(
        default=5,
        ge=1,
        description="Failed restarts in a row after which `interop serve` stops, exit code 3.",
    )
    embedded_allow_unsafe: bool = Field(
        default=False,
        description="Let `interop serve` run an embedded server with fsync, synchronous_commit or "
        "full_page_writes off (throwaway test data only: a crash can lose acknowledged writes).",
    )
    embedded_restart_backoff_max_s: float = Field(
        default=30.0, gt=0, description="Longest wait between two failed restarts (it doubles from 1 s)."
    )

    subscription_endpoint_hosts: list[str] = Field(
        default_factory=list,
        description='Hosts rest-hook Subscriptions may post to (JSON list; "*.example.mx" for a domain); '
        "empty: any host whose addresses are public.",
    )
    subscription_allow_private: bool = Field(
        default=False,
        description="Let rest-hook Subscriptions reach loopback and private addresses (RFC 1918, 100.64/10, "
        "fc00::/7): for a deployment whose clinic systems sit on a private network, and for tests. "
        "Link-local, multicast, reserved and cloud metadata addresses stay refused.",
    )
    subscription_max_per_client: int = Field(
        default=10, ge=0, description="Subscriptions one API client may hold at a time."
    )

    # Resource bounds of one request.
    patch_max_operations: int = Field(default=100, ge=1, description="Operations in one JSON Patch.")
    patch_max_result_bytes: int = Field(
        default=262_144, ge=1024, description="Size (compact JSON) a patched resource may reach."
    )
    patch_max_depth: int = Field(default=32, ge=4, description="Nesting depth a patch may write.")
    search_max_values: int = Field(
        default=100,
        ge=1,
        description="Values one search parameter may carry (repeats and comma-separated values counted).",
    )

    # Referrals: how long a unit may leave a Task unanswered (requested) before the referral is escalated.
    referral_answer_hours: dict[str, float] = Field(
        default={"routine": 72.0, "urgent": 24.0, "asap": 4.0, "stat": 1.0},
        description="Hours a Task may stay requested, by priority, before its referral goes on the "
        'escalation list (JSON, e.g. {"routine": 72, "urgent": 24, "asap": 4, "stat": 1}).',
    )
    referral_escalation_sweep_s: float = Field(
        default=300.0, gt=0, description="How often the job worker looks for unanswered referrals."
    )

    # Matching thresholds (match probability).
    match_auto_threshold: float = 0.99
    match_review_threshold: float = 0.5
    # Batch linkage engine: DuckDB in this process, or Splink's Spark backend (extra ``interop[spark]``).
    match_engine: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = Field(default="local[*]", description="local[N], spark://host:7077 or k8s://...")
    spark_driver_memory: str = "2g"
    spark_shuffle_partitions: int = Field(default=16, ge=1)
    spark_conf: dict[str, str] = Field(default_factory=dict, description="Further Spark settings (JSON).")
    spark_workdir: Path | None = Field(
        default=None, description="Where a run's Parquet goes; on a cluster, storage every executor sees."
    )

    # Auth: the embedded issuer by default; an external issuer when jwks_url is set.
    auth_issuer: str = "interop"
    auth_audience: str = "interop"
    auth_jwks_url: str | None = None
    auth_token_ttl_s: int = 900
    auth_client_cache_s: float = Field(
        default=5.0,
        description="How long a client's active/revoked state is "
        "cached by the API: a revoked client's tokens stop working within it.",
    )
    auth_jwks_cache_s: float = Field(
        default=300.0, description="How long an external issuer's JWKS is cached."
    )
    auth_token_endpoint: str | None = Field(
        default=None,
        description="External issuer's token endpoint, advertised in /.well-known/smart-configuration.",
    )
    rate_limit_per_minute: int = 6000
    token_rate_limit_per_minute: int = Field(
        default=30,
        description="Token requests per minute (burst) allowed per network address and, separately, per "
        "client name at /auth/token; each secret check costs an argon2 verification (~64 MiB). 0: off.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description='Addresses or networks (JSON list, e.g. ["10.0.0.5", "10.1.0.0/16"]) of reverse '
        "proxies whose X-Forwarded-For is believed; from anyone else the header is ignored. Empty: never.",
    )
    max_body_bytes: int = 1_048_576

    # Audit: Ed25519 checkpoint signing key (PEM, PKCS8); generated into data_dir when unset.
    audit_signing_key: str | None = None
    # Else this file (created when missing); default data_dir/audit/audit-ed25519.pem, apart from token keys.
    audit_key_file: Path | None = None
    # Audit Merkle tree log: the origin line of its signed checkpoints, and the longest an event may wait
    # between its commit and its leaf (the sequencer runs at least twice per delay).
    audit_log_origin: str = "interop.bienestar.gob.mx/audit"
    audit_max_merge_delay_s: float = Field(default=1.0, gt=0)

    # Imports: rows per committed batch (a resumed import restarts after the last committed batch).
    import_chunk_rows: int = Field(default=50_000, ge=1)
    upload_max_bytes: int = Field(
        default=8 * 1024**3,
        ge=1,
        description="Largest file `POST /v1/imports` accepts (the whole roll, ~13 M rows, is ~3 GB); "
        "a larger one is refused with 413 while it streams in.",
    )
    upload_min_free_bytes: int = Field(
        default=2 * 1024**3,
        ge=0,
        description="Free space the data folder's file system must keep: an upload that would leave less "
        "is refused with 507 (before PostgreSQL, on the same disk, runs out).",
    )

    # Identifier systems (DESIGN.md).
    system_curp: str = "https://www.gob.mx/curp"
    system_clues: str = "http://dgis.salud.gob.mx/clues"
    system_roll: str = "https://www.gob.mx/bienestar/padron"
    system_visit: str = "https://www.gob.mx/bienestar/visita"
    system_expediente_template: str = "http://dgis.salud.gob.mx/clues/{CLUES}/expediente"

    cors_origins: list[str] = Field(default_factory=list)
    otel_enabled: bool = Field(default=False, description="OpenTelemetry tracing (needs the `otel` extra).")
    otel_exporter: str = Field(
        default="otlp", description="otlp (OTEL_EXPORTER_OTLP_* env), console, memory."
    )

    # Web pages for people (/app, docs/ui.md). The session key signs cookies; generated into
    # data_dir/web/session.key when unset (every process of one service must share it).
    web_session_secret: str | None = Field(default=None, repr=False)
    web_session_max_age_s: int = Field(default=8 * 3600, ge=60, description="Sign in again after this.")
    web_totp_required_roles: list[str] = Field(
        default_factory=lambda: ["admin", "auditor"],
        description="Roles whose local accounts must have a TOTP second factor.",
    )
    web_lockout_attempts: int = Field(default=5, ge=1, description="Failed sign-ins before a lockout.")
    web_lockout_s: int = Field(default=15 * 60, ge=1, description="How long a locked account waits.")
    oidc_issuer: str | None = Field(default=None, description="OpenID Connect provider (sign-in for people).")
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = Field(default=None, repr=False)
    oidc_subject_claim: str = Field(
        default="sub",
        description="ID token claim bound to a local account (interop users add/oidc --oidc-subject): "
        "`sub`, or another claim the provider never lets people edit.",
    )
    oidc_scope: str = "openid profile email"

    @cached_property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    # Routing (issue 17): how far a first-level unit may be and still be the entry point, and the
    # entidades adhered to IMSS-Bienestar (empty: the built-in list in ``referral.routing``).
    routing_first_level_km: float = Field(default=30.0, gt=0, le=1000)
    routing_adhered_entidades: list[str] = Field(default_factory=list)


def get_settings() -> Settings:
    return Settings()
