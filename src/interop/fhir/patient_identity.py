"""One reading of a FHIR Patient into identity fields, for every path that takes Patients in: the visit
Bundle (``POST /fhir``), ``Patient/$match`` and registry NDJSON. Pure: no I/O, no HTTP.

- nombre: ``HumanName.given`` joined by spaces; the ``official`` name is preferred, else the first;
- primer / segundo apellido: the ``humanname-fathers-family`` / ``humanname-mothers-family`` extensions
  of ``family`` (or of the name) when either is given; otherwise ``family`` split by the identity rules
  (``identity.names.split_family``: particles and compound surnames such as DE LA CRUZ or PONCE DE LEON
  stay whole);
- curp / roll_record_id: the identifier of the CURP / padrón system; clues: the
  ``managingOrganization.identifier`` of the CLUES system; expediente: the identifier of system
  ``…/clues/{CLUES}/expediente`` for that unit;
- fecha_nacimiento: ``birthDate`` as written; sexo: ``gender`` (male H, female M, other X; unknown none);
- entidad / municipio / localidad / domicilio: ``address.state`` / ``district`` / ``city`` / ``line``
  (joined by ", ") of the first address; latitud / longitud: its ``geolocation`` extension;
- telefono: the first ``telecom`` of system phone.

Values are kept as written; normalisation is the identity rules' business downstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interop.config import Settings
from interop.identity.names import split_family

FATHERS = "http://hl7.org/fhir/StructureDefinition/humanname-fathers-family"
MOTHERS = "http://hl7.org/fhir/StructureDefinition/humanname-mothers-family"
GEOLOCATION = "http://hl7.org/fhir/StructureDefinition/geolocation"
GENDER_OF_SEX = {"H": "male", "M": "female", "X": "other"}
SEX_OF_GENDER = {gender: sex for sex, gender in GENDER_OF_SEX.items()}


@dataclass(frozen=True, slots=True)
class Systems:
    """The identifier systems a Patient is read with (settings may change them)."""

    curp: str
    clues: str
    expediente_template: str  # with "{CLUES}"
    roll: str = ""

    @classmethod
    def of(cls, settings: Settings) -> Systems:
        return cls(
            curp=settings.system_curp,
            clues=settings.system_clues,
            expediente_template=settings.system_expediente_template,
            roll=settings.system_roll,
        )


@dataclass(frozen=True, slots=True)
class PatientIdentity:
    """The identity fields of one Patient, named as the import columns are (DESIGN.md, CSV imports)."""

    id: str | None = None
    curp: str | None = None
    roll_record_id: str | None = None
    clues: str | None = None
    expediente: str | None = None
    nombre: str | None = None
    primer_apellido: str | None = None
    segundo_apellido: str | None = None
    fecha_nacimiento: str | None = None
    sexo: str | None = None
    entidad: str | None = None
    municipio: str | None = None
    localidad: str | None = None
    domicilio: str | None = None
    telefono: str | None = None
    latitud: float | None = None
    longitud: float | None = None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _extension(element: Any, url: str) -> dict[str, Any] | None:
    if not isinstance(element, dict):
        return None
    return next(
        (e for e in element.get("extension") or [] if isinstance(e, dict) and e.get("url") == url), None
    )


def _ext_string(element: Any, url: str) -> str | None:
    ext = _extension(element, url)
    return _text(ext.get("valueString")) if ext else None


def _identifier(patient: dict[str, Any], system: str | None) -> str | None:
    if not system:
        return None
    for ident in patient.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("system") == system and _text(ident.get("value")):
            return _text(ident.get("value"))
    return None


def _name(patient: dict[str, Any]) -> dict[str, Any]:
    names = [n for n in patient.get("name") or [] if isinstance(n, dict)]
    return next((n for n in names if n.get("use") == "official"), names[0] if names else {})


def _surnames(name: dict[str, Any]) -> tuple[str | None, str | None]:
    family_element = name.get("_family")
    fathers = _ext_string(family_element, FATHERS) or _ext_string(name, FATHERS)
    mothers = _ext_string(family_element, MOTHERS) or _ext_string(name, MOTHERS)
    if fathers or mothers:
        return fathers, mothers
    return split_family(_text(name.get("family")))


def _geolocation(address: dict[str, Any]) -> tuple[float | None, float | None]:
    geo = _extension(address, GEOLOCATION)
    parts = {p.get("url"): p.get("valueDecimal") for p in (geo or {}).get("extension") or []}
    lat, lon = parts.get("latitude"), parts.get("longitude")
    number = (int, float)
    return (
        float(lat) if isinstance(lat, number) else None,
        float(lon) if isinstance(lon, number) else None,
    )


def read_patient(patient: dict[str, Any], systems: Systems) -> PatientIdentity:
    """The identity fields of a Patient resource (JSON as received); absent or blank values are None."""
    name = _name(patient)
    given = " ".join(str(g).strip() for g in name.get("given") or [] if str(g).strip()) or None
    paternal, maternal = _surnames(name)
    org = patient.get("managingOrganization") or {}
    org_ident = org.get("identifier") if isinstance(org, dict) else None
    clues = None
    if isinstance(org_ident, dict) and org_ident.get("system") == systems.clues:
        clues = (_text(org_ident.get("value")) or "").upper() or None
    expediente = (
        _identifier(patient, systems.expediente_template.replace("{CLUES}", clues)) if clues else None
    )
    addresses = [a for a in patient.get("address") or [] if isinstance(a, dict)]
    address = addresses[0] if addresses else {}
    lines = [str(x).strip() for x in address.get("line") or [] if str(x).strip()]
    latitud, longitud = _geolocation(address)
    phone = next(
        (
            _text(t.get("value"))
            for t in patient.get("telecom") or []
            if isinstance(t, dict) and t.get("system") == "phone" and _text(t.get("value"))
        ),
        None,
    )
    return PatientIdentity(
        id=_text(patient.get("id")),
        curp=_identifier(patient, systems.curp),
        roll_record_id=_identifier(patient, systems.roll),
        clues=clues,
        expediente=expediente,
        nombre=given,
        primer_apellido=paternal,
        segundo_apellido=maternal,
        fecha_nacimiento=_text(patient.get("birthDate")),
        sexo=SEX_OF_GENDER.get(str(patient.get("gender"))),
        entidad=_text(address.get("state")),
        municipio=_text(address.get("district")),
        localidad=_text(address.get("city")),
        domicilio=", ".join(lines) or None,
        telefono=phone,
        latitud=latitud,
        longitud=longitud,
    )
