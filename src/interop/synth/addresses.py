"""Street addresses and telephone numbers as Mexican extracts write them."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from interop.synth.names import words
from interop.synth.states import STATES

STREET_NAMES = words(
    """
    HIDALGO MORELOS JUÁREZ 5_DE_MAYO INDEPENDENCIA REFORMA ZARAGOZA GUERRERO ALLENDE MATAMOROS
    16_DE_SEPTIEMBRE VICENTE_GUERRERO BENITO_JUÁREZ LÁZARO_CÁRDENAS EMILIANO_ZAPATA
    FRANCISCO_I._MADERO NIÑOS_HÉROES ALDAMA ABASOLO VENUSTIANO_CARRANZA FRANCISCO_VILLA
    20_DE_NOVIEMBRE JOSEFA_ORTIZ_DE_DOMÍNGUEZ LEONA_VICARIO CUAUHTÉMOC NICOLÁS_BRAVO GALEANA
    OBREGÓN CONSTITUCIÓN REVOLUCIÓN DEL_TRABAJO LAS_FLORES LOS_PINOS PRIMAVERA JAZMÍN ROSAS
    GIRASOLES NARANJOS OLIVOS FRESNOS CEDROS SAUCES MANGO AGUACATE DEL_PANTEÓN DEL_RÍO PRINCIPAL
    CENTRAL CARRETERA_FEDERAL PEÑA_POBRE
    """
)
COLONIAS: tuple[str, ...] = (
    "CENTRO",
    "EL ROSARIO",
    "LA ESPERANZA",
    "SAN ISIDRO",
    "EL CARMEN",
    "INDEPENDENCIA",
    "REFORMA",
    "JARDINES",
    "LAS AMÉRICAS",
    "PROGRESO",
    "LOMAS DEL VALLE",
    "AMPLIACIÓN LA PAZ",
    "SANTA CECILIA",
    "INFONAVIT",
    "BENITO JUÁREZ",
    "EMILIANO ZAPATA",
    "LA CAÑADA",
    "FOVISSSTE",
)
_PLAIN = str.maketrans("ÁÉÍÓÚÜ", "AEIOUU")
_STREETS_PLAIN = tuple(s.translate(_PLAIN) for s in STREET_NAMES)
_COLONIAS_PLAIN = tuple(s.translate(_PLAIN) for s in COLONIAS)
# Address styles and their shares: how clerks write the same kind of address.
ADDRESS_STYLE_SHARES = np.array([0.28, 0.1, 0.1, 0.2, 0.08, 0.12, 0.05, 0.07])


def addresses(rng: np.random.Generator, n: int) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """n addresses, spelt with accents and without (the same draw)."""
    style = rng.choice(ADDRESS_STYLE_SHARES.size, size=n, p=ADDRESS_STYLE_SHARES / ADDRESS_STYLE_SHARES.sum())
    street = rng.integers(0, len(STREET_NAMES), n)
    number = np.minimum(rng.geometric(0.01, n), 3999)
    colonia = rng.integers(0, len(COLONIAS), n)
    extra = rng.integers(1, 40, n)
    spelt: list[NDArray[np.object_]] = []
    for streets, colonias in ((STREET_NAMES, COLONIAS), (_STREETS_PLAIN, _COLONIAS_PLAIN)):
        out: list[str] = []
        for st, s, num, c, e in zip(
            style.tolist(), street.tolist(), number.tolist(), colonia.tolist(), extra.tolist(), strict=True
        ):
            name = streets[s]
            if st == 0:
                out.append(f"CALLE {name} {num}")
            elif st == 1:
                out.append(f"C. {name} NO. {num}")
            elif st == 2:
                out.append(f"AV. {name} {num}")
            elif st == 3:
                out.append(f"{name} {num}, COL. {colonias[c]}")
            elif st == 4:
                out.append(f"{name} S/N")
            elif st == 5:
                out.append("DOMICILIO CONOCIDO")
            elif st == 6:
                out.append(f"MZ {e} LT {num % 60 + 1}")
            else:
                out.append(f"{name} {num} INT. {e}")
        spelt.append(np.asarray(out, dtype=object))
    return spelt[0], spelt[1]


def phones(rng: np.random.Generator, states: NDArray[np.int32]) -> NDArray[np.int64]:
    """Ten-digit numbers: the state's area code (the capital's most often) and a subscriber."""
    width = max(len(s.area_codes) for s in STATES)
    codes = np.zeros((len(STATES), width), dtype=np.int64)
    lengths = np.ones((len(STATES), width), dtype=np.int64)
    count = np.array([len(s.area_codes) for s in STATES])
    for i, facts in enumerate(STATES):
        for j, code in enumerate(facts.area_codes):
            codes[i, j] = int(code)
            lengths[i, j] = len(code)
    n = int(states.shape[0])
    p: NDArray[np.float64] = rng.random(n)
    others = np.maximum(count[states] - 1, 1)
    pick = np.where((p < 0.6) | (count[states] == 1), 0, 1 + (p * 1000).astype(np.int64) % others)
    scale = 10 ** (10 - lengths[states, pick])
    return codes[states, pick] * scale + rng.integers(0, 10**8, n) % scale
