"""English messages, available by ``Accept-Language``. Same keys and placeholders as ``es_mx``."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "error.internal": "internal error",
    "error.unavailable": "the database is unavailable; retry later",
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
    "routing.registry_unit": (
        "already a patient at {clues} (level {level}, operating; priority {priority} needs level {required})"
    ),
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
    "cli.units_imported": "units: {inserted} new, {updated} updated, {unchanged} unchanged",
}
