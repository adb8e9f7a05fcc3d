"""The one place that chooses the FHIR version: R4 on the wire, through fhir.resources' R4B models (which
serialise R4-compatible Patient, Bundle, Task, Subscription and OperationOutcome; DESIGN.md, "FHIR").
Every other module validates with the models named here, so a move to R5 is a change of this file and
of what its tests find."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.subscription import Subscription
from fhir.resources.R4B.task import Task

FHIR_VERSION = "4.0.1"

__all__ = ["FHIR_VERSION", "Bundle", "Patient", "Subscription", "Task"]
