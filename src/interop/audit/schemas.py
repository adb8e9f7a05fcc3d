"""Values of the audit domain: what callers pass to ``record`` and what readers get back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class AuditEntity:
    """A resource an event touched, by identifier only. ``role`` is one of ``ENTITY_ROLES``."""

    type: str
    id: str
    role: str = "domain-resource"


# Entity roles (http://terminology.hl7.org/CodeSystem/object-role) by the names callers use.
ENTITY_ROLES = {
    "patient": "1",
    "location": "2",
    "report": "3",
    "domain-resource": "4",
    "master-file": "5",
    "user": "6",
    "list": "7",
    "job": "20",
    "data-repository": "21",
    "subscriber": "9",
    "query": "24",
}

ACTIONS = frozenset({"C", "R", "U", "D", "E"})
OUTCOMES = frozenset({"0", "4", "8", "12"})
# FHIR restful-interaction codes (R4) …
REST_SUBTYPES = frozenset(
    {
        "read",
        "vread",
        "update",
        "patch",
        "delete",
        "history",
        "history-instance",
        "history-type",
        "history-system",
        "create",
        "search",
        "search-type",
        "search-system",
        "capabilities",
        "transaction",
        "batch",
        "operation",
    }
)
# … and interop's own activities (CodeSystem ``INTEROP_SUBTYPE_SYSTEM``).
INTEROP_SUBTYPES = frozenset(
    {
        "import",
        "match-run",
        "decision",
        "decision-reversal",
        "login",
        "export",
        "verify",
        "checkpoint",
        "denied",
    }
)
SUBTYPES = REST_SUBTYPES | INTEROP_SUBTYPES


class AuditEventRead(BaseModel):
    """A stored event as readers see it (``/v1/trace``, exports, the FHIR mapping)."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    recorded_at: datetime
    type: str
    subtype: str
    action: str
    outcome: str
    outcome_desc: str | None
    client_id: str
    role: str
    user_id: str | None
    network_address: str | None
    request_id: str
    trace_id: str
    patient: str | None
    entities: list[dict[str, Any]]
    query: str | None
    hash: str

    @classmethod
    def of(cls, row: Any) -> AuditEventRead:
        values = {name: getattr(row, name) for name in cls.model_fields}
        values["hash"] = bytes(row.hash).hex()
        if isinstance(values["entities"], str):
            values["entities"] = orjson.loads(values["entities"])
        return cls.model_validate(values)


@dataclass
class AuditSearch:
    """Filters for a search; each list is OR-ed, groups and fields are AND-ed. Empty means no filter."""

    since: datetime | None = None  # recorded_at >= since
    before: datetime | None = None  # recorded_at < before
    agent_groups: list[list[str]] = field(default_factory=list)  # client id or acting user
    entity_groups: list[list[tuple[str | None, str]]] = field(default_factory=list)  # (type or any, id)
    patients: list[str] | None = None  # "Patient/<id>"
    actions: list[str] | None = None
    types: list[str] | None = None
    subtypes: list[str] | None = None
    outcomes: list[str] | None = None
    trace_ids: list[str] | None = None


class TraceRead(BaseModel):
    """One case end to end: events carrying the trace id, and events on the same resources (one hop)."""

    trace_id: str
    events: list[AuditEventRead]
    via: dict[int, Literal["trace", "entity"]]


class CheckpointRead(BaseModel):
    id: int
    seq: int
    hash: str
    created_at: datetime
    key_id: str
    signature: str

    @classmethod
    def of(cls, row: Any) -> CheckpointRead:
        return cls(
            id=row.id,
            seq=row.seq,
            hash=bytes(row.hash).hex(),
            created_at=row.created_at,
            key_id=row.key_id,
            signature=bytes(row.signature).hex(),
        )


class VerificationRead(BaseModel):
    """The result of walking the chain and its checkpoints, then the Merkle tree and its signed heads.
    ``first_bad_seq`` names the first bad chain entry, ``first_bad_leaf`` the first bad leaf; ``reason``
    says why (the chain's reason first)."""

    ok: bool
    events_checked: int
    head_seq: int
    checkpoints_checked: int
    latest_checkpoint_seq: int | None
    first_bad_seq: int | None = None
    reason: str | None = None
    key_id: str
    seconds: float
    leaves_checked: int = 0
    heads_checked: int = 0
    first_bad_leaf: int | None = None


class AuditKey(BaseModel):
    """An Ed25519 public key as a JWK (``x`` base64url of the 32 raw bytes)."""

    kid: str
    kty: Literal["OKP"] = "OKP"
    crv: Literal["Ed25519"] = "Ed25519"
    x: str


class AuditKeyList(BaseModel):
    keys: list[AuditKey]


class TreeHeadRead(BaseModel):
    """A signed tree head: ``checkpoint`` is the C2SP tlog-checkpoint body, ``signature`` the Ed25519
    signature of its UTF-8 bytes (base64); ``root_hash`` base64."""

    tree_size: int
    root_hash: str
    timestamp: datetime
    kid: str
    checkpoint: str
    signature: str


class LeafRead(BaseModel):
    """Leaf ``index``: ``leaf`` the exact bytes hashed into the tree (base64), ``event`` the AuditEvent."""

    index: int
    leaf: str
    event: str


class InclusionProofRead(BaseModel):
    index: int
    tree_size: int
    hashes: list[str]


class ConsistencyProofRead(BaseModel):
    first: int
    second: int
    hashes: list[str]
