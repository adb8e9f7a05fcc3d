"""Visit findings in and referral outcomes out (``/v1/visits``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

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


class ConditionFound(_Strict):
    code: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, to_upper=True, pattern=r"^[A-Z][0-9]{2}(\.?[0-9A-Z]{1,4})?$"
        ),
    ]
    display: Text | None = None


class ObservationComponent(_Strict):
    code: Code
    display: Text | None = None
    value: float
    unit: Code


class ObservationFound(_Strict):
    """A measurement (LOINC code, UCUM unit), e.g. capillary glucose 2339-0 mg/dL, blood pressure 85354-9
    with systolic 8480-6 / diastolic 8462-4 components; or a coded/text finding such as a disability."""

    code: Code
    display: Text | None = None
    value: float | None = None
    unit: Code | None = None
    value_text: Text | None = None
    components: list[ObservationComponent] = Field(default_factory=list, max_length=10)


class Findings(_Strict):
    conditions: list[ConditionFound] = Field(default_factory=list, max_length=20)
    observations: list[ObservationFound] = Field(default_factory=list, max_length=50)
    disability: Text | None = None


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


class VisitResult(BaseModel):
    """What posting a visit did; replayed unchanged for the same visit id or Idempotency-Key."""

    visit_id: str
    service_request: str
    task: str
    unit: UnitRead
    routing: RoutingRead
    match: MatchRead
    created_at: datetime


class TaskStep(BaseModel):
    task: str
    version: int
    status: str
    owner: str
    business_status: str | None
    at: datetime


class VisitRead(BaseModel):
    """Bienestar's follow-up of one visit: the referral's current state, unit and history."""

    visit_id: str
    result: VisitResult
    service_request_status: str
    task_status: str
    business_status: str | None
    unit: UnitRead
    routing: RoutingRead
    history: list[TaskStep]
    output: list[dict[str, Any]]
