"""Each entidad's IANA time zone, and the UTC bounds of a local day.

Since the end of October 2022 Mexico keeps no daylight saving time except in the northern border strip
(Ley de los Husos Horarios, 2022), which follows the United States. IANA's zones already carry that
history, so a zone name is all a stored instant (always UTC) needs to be read as local time.

Rules:

- Each entidad has one zone (``ENTIDAD_ZONES``): America/Tijuana for Baja California (UTC−8, with
  daylight saving: the whole state lies in the border strip as IANA draws it), America/Hermosillo for
  Sonora (UTC−7, none), America/Mazatlan for Sinaloa, Nayarit and Baja California Sur, America/Cancun for
  Quintana Roo (UTC−5), America/Merida for Yucatán and Campeche, America/Monterrey for Nuevo León,
  Coahuila, Durango and Tamaulipas, America/Chihuahua for Chihuahua, America/Mexico_City elsewhere.
- Border-strip municipalities that keep daylight saving override their entidad (``BORDER_STRIP``):
  Chihuahua's (America/Ciudad_Juarez, America/Ojinaga), Coahuila's, Nuevo León's and Tamaulipas'
  (America/Matamoros); Bahía de Banderas (Nayarit) keeps central time (America/Bahia_Banderas).
- With no entidad, or one we do not know (NE, born abroad), America/Mexico_City, which is also the zone of
  searches that concern no unit (audit).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CENTRAL = "America/Mexico_City"
AUDIT_ZONE = CENTRAL

ENTIDAD_ZONES: dict[str, str] = {
    "AS": CENTRAL,
    "BC": "America/Tijuana",
    "BS": "America/Mazatlan",
    "CC": "America/Merida",
    "CL": "America/Monterrey",
    "CM": CENTRAL,
    "CS": CENTRAL,
    "CH": "America/Chihuahua",
    "DF": CENTRAL,
    "DG": "America/Monterrey",
    "GT": CENTRAL,
    "GR": CENTRAL,
    "HG": CENTRAL,
    "JC": CENTRAL,
    "MC": CENTRAL,
    "MN": CENTRAL,
    "MS": CENTRAL,
    "NT": "America/Mazatlan",
    "NL": "America/Monterrey",
    "OC": CENTRAL,
    "PL": CENTRAL,
    "QT": CENTRAL,
    "QR": "America/Cancun",
    "SP": CENTRAL,
    "SL": "America/Mazatlan",
    "SR": "America/Hermosillo",
    "TC": CENTRAL,
    "TS": "America/Monterrey",
    "TL": CENTRAL,
    "VZ": CENTRAL,
    "YN": "America/Merida",
    "ZS": CENTRAL,
}


def _fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.strip().upper())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).replace(".", " ").split())


_JUAREZ, _OJINAGA, _MATAMOROS = "America/Ciudad_Juarez", "America/Ojinaga", "America/Matamoros"
# (entidad, municipio folded) → zone, for the municipalities whose clock differs from their entidad's.
BORDER_STRIP: dict[tuple[str, str], str] = {
    **{("CH", m): _JUAREZ for m in ("JUAREZ", "ASCENSION", "JANOS", "GUADALUPE", "PRAXEDIS G GUERRERO")},
    **{("CH", m): _OJINAGA for m in ("OJINAGA", "MANUEL BENAVIDES", "COYAME DEL SOTOL")},
    **{
        ("CL", m): _MATAMOROS
        for m in (
            "ACUNA",
            "GUERRERO",
            "HIDALGO",
            "JIMENEZ",
            "NAVA",
            "OCAMPO",
            "PIEDRAS NEGRAS",
            "ZARAGOZA",
        )
    },
    ("NL", "ANAHUAC"): _MATAMOROS,
    **{
        ("TS", m): _MATAMOROS
        for m in (
            "NUEVO LAREDO",
            "GUERRERO",
            "MIER",
            "MIGUEL ALEMAN",
            "CAMARGO",
            "GUSTAVO DIAZ ORDAZ",
            "REYNOSA",
            "RIO BRAVO",
            "VALLE HERMOSO",
            "MATAMOROS",
        )
    },
    ("NT", "BAHIA DE BANDERAS"): "America/Bahia_Banderas",
}

ZONES = frozenset({*ENTIDAD_ZONES.values(), *BORDER_STRIP.values()})


def zone_for(entidad: str | None, municipio: str | None = None) -> str:
    """The IANA zone of a place: its border-strip municipality's when it has one, else its entidad's."""
    code = (entidad or "").strip().upper()
    if municipio:
        strip = BORDER_STRIP.get((code, _fold(municipio)))
        if strip is not None:
            return strip
    return ENTIDAD_ZONES.get(code, CENTRAL)


def zone_of_clues(clues: str) -> str:
    """A unit's zone from its CLUES alone (characters 1–2 are its entidad)."""
    return zone_for(clues[:2])


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of ``day`` as lived in ``zone`` (23 or 25 hours on a DST change).
    The calendar's last day ends at the last instant a datetime holds."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
    try:
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    except OverflowError:
        end = datetime.max.replace(tzinfo=UTC)
    return start, end


def local_date(instant: datetime, zone: str) -> date:
    """The calendar day an instant falls on in ``zone``."""
    return instant.astimezone(ZoneInfo(zone)).date()


def local_instant(day: date, at: time, zone: str) -> datetime:
    """A wall-clock time of a day in ``zone`` as a UTC instant (a visit recorded as local time)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)
