"""Visit findings in and referral outcomes out (``/v1/visits``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from interop.matching.schemas import IdentityProbe

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        """Field systems send "" or spaces for an unknown value: treat them as missing."""
        if isinstance(data, dict):
            return {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in data.items()}
        return data


class PersonFound(_Strict):
    """The person as the health worker found them (all optional but a name and surname)."""

    roll_record_id: Text | None = None
    curp: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=18)] | None = None
    nombre: Text
    primer_apellido: Text
    segundo_apellido: Text | None = None
    fecha_nacimiento: date | None = None
    sexo: Literal["H", "M", "X"] | None = None
    domicilio: Text | None = None
    entidad: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    municipio: Text | None = None
    localidad: Text | None = None
    telefono: Annotated[str, StringConstraints(max_length=32)] | None = None
    latitud: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitud: Annotated[float, Field(ge=-180, le=180)] | None = None
    cve_mun: Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")] | None = None  # INEGI
    cve_loc: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] | None = None  # INEGI

    def identity_probe(self) -> IdentityProbe:
        """The person as online matching reads them: one mapping (``PROBE_FIELDS``), never re-typed."""
        return IdentityProbe(**{probe: getattr(self, own) for own, probe in PROBE_FIELDS.items()})

    def provisional_fields(self) -> dict[str, Any]:
        """The columns of a provisional Patient built from this person (the same names)."""
        return {name: getattr(self, name) for name in PROVISIONAL_FIELDS}


# The identity vocabulary of a visit (the CSV contract's Spanish names) → matching's probe fields.
PROBE_FIELDS = {
    "roll_record_id": "roll_record_id",
    "curp": "curp",
    "nombre": "given_names",
    "primer_apellido": "paternal_surname",
    "segundo_apellido": "maternal_surname",
    "fecha_nacimiento": "birth_date",
    "sexo": "sex",
    "entidad": "entidad",
    "municipio": "municipio",
    "localidad": "localidad",
    "domicilio": "domicilio",
    "telefono": "telefono",
}
# A provisional Patient keeps what the probe reads plus the captured point.
PROVISIONAL_FIELDS = (*PROBE_FIELDS, "latitud", "longitud")

# What is asked (ServiceRequest.code): the clinical-content CodeSystem ``atencion-solicitada``.
CareRequested = Literal[
    "consulta-primer-nivel", "valoracion-domiciliaria", "especialidad", "laboratorio", "urgencias"
]


def _one_of_named(*fields: str) -> list[JsonValue]:
    """JSON Schema for "at least one of ``fields`` is given": not null, not blank (blanks read as absent),
    and a list not empty."""
    absent: list[JsonValue] = [
        {"type": "null"},
        {"type": "string", "pattern": r"^\s*$"},
        {"type": "array", "maxItems": 0},
    ]
    given: dict[str, JsonValue] = {"not": {"anyOf": absent}}
    return [{"required": [name], "properties": {name: given}} for name in fields]


class CodingFound(_Strict):
    """One coding of a finding as sent (CIE-10 ``http://hl7.org/fhir/sid/icd-10``, SNOMED CT
    ``http://snomed.info/sct``, or another system); every one is kept."""

    system: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    code: Code
    display: Text | None = None


class ConditionFound(_Strict):
    """A suspected condition: a CIE-10 ``code`` (normalised and checked when the referral is made; one that
    fails is kept as text with a warning), other ``codings``, or ``text`` alone."""

    # Declared as well as enforced (below), so that a client generated from the schema knows it.
    model_config = ConfigDict(
        json_schema_extra={"anyOf": _one_of_named("code", "codings", "text", "display")}
    )

    code: Code | None = None
    display: Text | None = None
    codings: list[CodingFound] = Field(default_factory=list, max_length=5)
    text: Text | None = None

    @model_validator(mode="after")
    def _something(self) -> ConditionFound:
        if not (self.code or self.codings or self.text or self.display):
            # The type names a catalogue entry (messages/validation.py), read in the caller's language.
            raise PydanticCustomError(
                "condition_without_code", "a condition needs a code, a coding or a text"
            )
        return self


class ObservationComponent(_Strict):
    code: Code
    display: Text | None = None
    value: float
    unit: Code | None = None


class ObservationFound(_Strict):
    """A measurement (LOINC code, UCUM unit), e.g. capillary glucose 2339-0 mg/dL, blood pressure 85354-9
    with systolic 8480-6 / diastolic 8462-4 components; or a coded/text finding such as a disability."""

    model_config = ConfigDict(json_schema_extra={"anyOf": _one_of_named("code", "text")})

    code: Code | None = None
    display: Text | None = None
    value: float | None = None
    unit: Code | None = None
    value_text: Text | None = None
    components: list[ObservationComponent] = Field(default_factory=list, max_length=10)
    text: Text | None = None  # a finding in words (no LOINC code): kept as text, never as a code

    @model_validator(mode="after")
    def _named(self) -> ObservationFound:
        if not (self.code or self.text):
            raise PydanticCustomError(
                "observation_without_code", "an observation needs a LOINC code or a text"
            )
        return self


class FunctionalStatusFound(_Strict):
    """The person's autonomy as the worker found it, in Spanish or English words: ``mobility`` (e.g.
    "camina con bastón", "bedridden"), ``disability`` kinds ("motriz", "visual"…), who cares for them
    (a relationship, not a name) and the medication they need. A bedridden person is home-bound."""

    home_bound: bool = False
    mobility: Text | None = None
    disability: list[Text] = Field(default_factory=list, max_length=6)
    caregiver: Text | None = None
    medication_needs: list[Text] = Field(default_factory=list, max_length=10)


class Findings(_Strict):
    conditions: list[ConditionFound] = Field(default_factory=list, max_length=20)
    observations: list[ObservationFound] = Field(default_factory=list, max_length=50)
    disability: Text | None = None
    functional_status: FunctionalStatusFound | None = None


class VisitCreate(_Strict):
    visit_id: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9\-\.]+$"),
    ]
    visit_date: date
    health_worker_id: Text
    person: PersonFound
    findings: Findings = Field(default_factory=Findings)
    urgency: Literal["routine", "urgent", "asap", "stat"] = "routine"
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    referral_requested: bool = Field(
        default=True, description="False: record the findings only (follow-up), no referral."
    )
    care_requested: CareRequested | None = None
    # The visit's instant; without an offset it is the wall-clock time of the visit's entidad.
    visited_at: datetime | None = None

    def canonical(self) -> dict[str, Any]:
        """The JSON stored and hashed for idempotency: fields at their default that older clients never
        sent are left out, so a body posted before they existed hashes the same."""
        body = self.model_dump(mode="json")
        for name, default in (("referral_requested", True), ("care_requested", None), ("visited_at", None)):
            if body.get(name) == default:
                body.pop(name)
        for name in ("cve_mun", "cve_loc"):
            if body["person"].get(name) is None:
                body["person"].pop(name, None)
        findings = body["findings"]
        if findings.get("functional_status") is None:
            findings.pop("functional_status", None)
        for kind, defaults in (
            ("conditions", (("codings", []), ("text", None))),
            ("observations", (("text", None),)),
        ):
            findings[kind] = [{k: v for k, v in f.items() if (k, v) not in defaults} for f in findings[kind]]
        return body


class UnitRead(BaseModel):
    clues: str
    name: str | None
    level: int | None
    distance_km: float | None


class RoutingRead(BaseModel):
    rule: str
    reason: str


class MatchRead(BaseModel):
    grade: str
    probability: float | None
    patient: str
    provisional: bool
    review_queued: bool


class FindingWarning(BaseModel):
    """A finding kept as text because a value failed a check (the visit is never refused for it)."""

    code: str
    message: str


ReferralState = Literal["created", "added", "waiting-route", "none"]


class VisitResult(BaseModel):
    """What posting a visit did; replayed unchanged for the same visit id or Idempotency-Key.
    ``referral``: created (a new referral), added (to the open referral of the same person and need),
    waiting-route (kept, no unit could be found yet), none (the visit asked for no referral)."""

    visit_id: str
    referral: ReferralState = "created"
    service_request: str | None
    task: str | None
    unit: UnitRead | None
    routing: RoutingRead | None
    match: MatchRead
    created_at: datetime
    warnings: list[FindingWarning] = Field(default_factory=list)


class OutcomeRead(BaseModel):
    """The unit's coded outcome (contrarreferencia)."""

    code: str
    display: str
    note: str | None = None
    unit: str | None = None
    at: datetime | None = None


class TaskStep(BaseModel):
    task: str
    version: int
    status: str
    owner: str
    business_status: str | None
    at: datetime


class VisitRead(BaseModel):
    """Bienestar's follow-up of one visit: the referral's current state, unit, history and outcome (no
    referral: the statuses are None)."""

    visit_id: str
    result: VisitResult
    service_request_status: str | None
    task_status: str | None
    business_status: str | None
    unit: UnitRead | None
    routing: RoutingRead | None
    history: list[TaskStep]
    output: list[dict[str, Any]]
    outcome: OutcomeRead | None = None
    escalation: str | None = None
    status_reason: str | None = None


class ReferralListItem(BaseModel):
    """A referral on an operator's list (waiting to be routed, or escalated): identifiers only."""

    service_request: str
    visit_ids: list[str]
    status: str
    priority: str
    unit: str | None
    reason: str | None
    since: datetime


class ReferralList(BaseModel):
    items: list[ReferralListItem]
    total: int


class RouteChoice(BaseModel):
    """An operator routes a waiting referral: to this unit, or (no CLUES) by the routing rules again."""

    model_config = ConfigDict(extra="forbid")

    clues: (
        Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z]{5}[0-9]{6}$")]
        | None
    ) = None
