"""The CLUES catalogue: units per state, levels, coordinates, status and former codes.

About one unit per ``people_per_unit`` residents and never fewer than ``min_units_per_state``
in a state. Level 1 units sit in localities drawn by population, level 2 in cabeceras, level 3
in the state's largest municipality. In states whose services moved to IMSS-Bienestar most units
carry an IMB code, and many of those keep their former SSA code in ``clues_anterior``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from interop.synth.geography import Geography
from interop.synth.profile import ErrorModel
from interop.synth.states import STATES

NEAREST = 4
LEVEL_SHARES = np.array([0.85, 0.12, 0.03])
OPERATING, NOT_OPERATING = "EN OPERACION", "FUERA DE OPERACION"

_LEVEL1 = ("CENTRO DE SALUD", "CENTRO DE SALUD RURAL", "UNIDAD MÉDICA RURAL", "CENTRO DE SALUD URBANO")
_LEVEL2 = ("HOSPITAL GENERAL", "HOSPITAL COMUNITARIO", "HOSPITAL INTEGRAL", "HOSPITAL RURAL")
_LEVEL3 = ("HOSPITAL REGIONAL DE ALTA ESPECIALIDAD", "HOSPITAL DE ESPECIALIDADES", "HOSPITAL CIVIL")


@dataclass(frozen=True, slots=True)
class Units:
    clues: NDArray[np.object_]
    clues_anterior: NDArray[np.object_]
    name: NDArray[np.object_]
    state: NDArray[np.int32]
    locality: NDArray[np.int32]
    level: NDArray[np.int8]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    operating: NDArray[np.bool_]
    # Per locality, the NEAREST units of its state, closest first.
    nearest: NDArray[np.int32]

    @property
    def size(self) -> int:
        return int(self.clues.shape[0])


def build_units(
    rng: np.random.Generator, geo: Geography, residents: NDArray[np.int64], model: ErrorModel
) -> Units:
    """``residents[s]`` is the number of people living in state s."""
    shape = model.population
    cabecera_of_mun = np.flatnonzero(geo.loc_is_cabecera)
    clues: list[str] = []
    old: list[str] = []
    names: list[str] = []
    states: list[int] = []
    localities: list[int] = []
    levels: list[int] = []
    for s, facts in enumerate(STATES):
        count = max(int(shape.min_units_per_state), round(residents[s] / shape.people_per_unit))
        level = rng.choice(3, size=count, p=LEVEL_SHARES) + 1
        level[0] = 3  # every state has a specialty hospital, and a general one when it has two units
        level[1:2] = 2
        locs = geo.draw_localities(rng, np.full(count, s, dtype=np.int32))
        locs = np.where(level == 2, cabecera_of_mun[geo.loc_mun[locs]], locs)
        locs = np.where(level == 3, geo.state_capital_loc[s], locs)
        imb = rng.random(count) < (0.75 if facts.imb else 0.15)
        has_old = imb & facts.imb & (rng.random(count) < model.old_clues_units)
        numbers = rng.choice(30000, size=2 * count, replace=False) + 1
        seen: dict[str, int] = {}
        for k in range(count):
            institution = "IMB" if imb[k] else "SSA"
            clues.append(f"{facts.code}{institution}{numbers[k]:06d}")
            old.append(f"{facts.code}SSA{numbers[count + k]:06d}" if has_old[k] else "")
            place = geo.loc_name[locs[k]] if level[k] == 1 else geo.mun_name[geo.loc_mun[locs[k]]]
            kinds = _LEVEL1 if level[k] == 1 else _LEVEL2 if level[k] == 2 else _LEVEL3
            name = f"{kinds[int(rng.integers(len(kinds)))]} {place}"
            seen[name] = seen.get(name, 0) + 1
            names.append(name if seen[name] == 1 else f"{name} NÚM. {seen[name]}")
            states.append(s)
            localities.append(int(locs[k]))
            levels.append(int(level[k]))
    state_arr = np.asarray(states, dtype=np.int32)
    loc_arr = np.asarray(localities, dtype=np.int32)
    n = int(loc_arr.shape[0])
    lat = geo.loc_lat[loc_arr] + rng.normal(0, 0.004, n)
    lon = geo.loc_lon[loc_arr] + rng.normal(0, 0.004, n)
    lat_min = np.array([f.lat_min for f in STATES])[state_arr]
    lat_max = np.array([f.lat_max for f in STATES])[state_arr]
    lon_min = np.array([f.lon_min for f in STATES])[state_arr]
    lon_max = np.array([f.lon_max for f in STATES])[state_arr]
    lat = np.clip(lat, lat_min, lat_max)
    lon = np.clip(lon, lon_min, lon_max)
    operating: NDArray[np.bool_] = rng.random(n) >= model.units_not_operating
    return Units(
        clues=np.asarray(clues, dtype=object),
        clues_anterior=np.asarray(old, dtype=object),
        name=np.asarray(names, dtype=object),
        state=state_arr,
        locality=loc_arr,
        level=np.asarray(levels, dtype=np.int8),
        lat=lat,
        lon=lon,
        operating=operating,
        nearest=_nearest(geo, state_arr, lat, lon),
    )


def _nearest(
    geo: Geography, unit_state: NDArray[np.int32], lat: NDArray[np.float64], lon: NDArray[np.float64]
) -> NDArray[np.int32]:
    out = np.zeros((geo.loc_state.shape[0], NEAREST), dtype=np.int32)
    for s in range(len(STATES)):
        units = np.flatnonzero(unit_state == s)
        locs = np.flatnonzero(geo.loc_state == s)
        dlat = geo.loc_lat[locs, None] - lat[None, units]
        dlon = (geo.loc_lon[locs, None] - lon[None, units]) * np.cos(np.radians(geo.loc_lat[locs, None]))
        order = np.argsort(dlat**2 + dlon**2, axis=1, kind="stable")[:, :NEAREST]
        if order.shape[1] < NEAREST:
            order = np.pad(order, ((0, 0), (0, NEAREST - order.shape[1])), mode="edge")
        out[locs] = units[order]
    return out
