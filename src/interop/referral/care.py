"""What a referral asks of the unit: the CodeSystem ``atencion-solicitada`` and its default rule. Pure.

Codes (displays in the message catalogue, ``care.<code>``): ``consulta-primer-nivel``,
``valoracion-domiciliaria``, ``especialidad``, ``laboratorio``, ``urgencias``.

Default when the visit does not say (``default_care``), first match wins:

1. priority asap or stat → ``urgencias`` (an emergency goes to a hospital today);
2. the person cannot leave home → ``valoracion-domiciliaria`` (the unit's team or a mobile unit goes);
3. otherwise → ``consulta-primer-nivel`` (the first level is the entry point; a specialty or a lab is
   asked for explicitly, by whoever can tell).
"""

from __future__ import annotations

from typing import get_args

from interop.referral.schemas import CareRequested, VisitCreate

SYSTEM = "https://www.gob.mx/bienestar/fhir/CodeSystem/atencion-solicitada"
CODESYSTEM_ID = "atencion-solicitada"

CODES: tuple[str, ...] = get_args(CareRequested)

FIRST_LEVEL = "consulta-primer-nivel"
HOME_ASSESSMENT = "valoracion-domiciliaria"
EMERGENCY = "urgencias"


def default_care(*, urgency: str, home_bound: bool) -> str:
    """The care a visit asks for when it names none (rules in the module docstring)."""
    if urgency in ("asap", "stat"):
        return EMERGENCY
    if home_bound:
        return HOME_ASSESSMENT
    return FIRST_LEVEL


def care_for(*, requested: str | None, urgency: str, home_bound: bool) -> str:
    """The visit's own ``care_requested``, else the default."""
    return requested or default_care(urgency=urgency, home_bound=home_bound)


def care_of(visit: VisitCreate) -> str:
    """What a visit asks for: its own ``care_requested``, else ``default_care`` from its urgency and the
    functional status it found (the one rule the referral's need is computed from)."""
    status = visit.findings.functional_status
    home_bound = status is not None and (status.home_bound or _bedridden(status.mobility))
    return care_for(requested=visit.care_requested, urgency=visit.urgency, home_bound=home_bound)


def _bedridden(mobility: str | None) -> bool:
    from interop.referral.finding_checks import mobility_of

    return mobility is not None and mobility_of(mobility) == "encamado"
