"""Municipalities and localities for every state, with population weights and coordinates.

Real names are used for the largest municipalities (``states.StateFacts.known_municipalities``);
the rest are generated from toponyms and patron saints, unique within their state. The first
locality of each municipality is its cabecera and carries its name. Localities of one state are
contiguous in the arrays, so a weighted draw within a state is one ``searchsorted``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from interop.synth.names import words, zipf_weights
from interop.synth.states import STATES

SAINTS = words(
    """
    SAN_JUAN SAN_PEDRO SAN_MIGUEL SANTA_MARÍA SAN_FRANCISCO SANTIAGO SAN_ANDRÉS SANTO_DOMINGO
    SAN_JOSÉ SAN_MARTÍN SAN_LUCAS SAN_BARTOLOMÉ SAN_MATEO SANTA_ANA SANTA_CRUZ SAN_PABLO
    SAN_AGUSTÍN SAN_LORENZO SAN_SEBASTIÁN SAN_FELIPE SANTA_CATARINA SAN_ANTONIO SAN_NICOLÁS
    SAN_DIEGO SAN_JERÓNIMO SAN_ILDEFONSO SAN_BALTAZAR SAN_SIMÓN SANTA_LUCÍA SAN_MARCOS
    """
)
# Toponyms by cultural region, so that generated municipalities sound like their state.
TOPONYMS: dict[str, tuple[str, ...]] = {
    "maya": words(
        """
        TICUL TEKAX OXKUTZCAB HUNUCMÁ MOTUL IZAMAL PETO MAXCANÚ TEMAX ESPITA CHEMAX HALACHÓ TZUCACAB
        HOPELCHÉN CALKINÍ HECELCHAKÁN TENABO XPUJIL PISTÉ DZIDZANTÚN TELCHAC CACALCHÉN SOTUTA YAXCABÁ
        CHANKOM TIXKOKOB DZEMUL TEKIT MAMA CHAPAB MUNA SACALUM ABALÁ UMÁN KINCHIL SAMAHIL CELESTÚN
        DZILAM TIZIMÍN CHICHIMILÁ UAYMA TIXCACALCUPUL CHIKINDZONOT
        """
    ),
    "chiapas": words(
        """
        OXCHUC CHAMULA TENEJAPA OCOSINGO PALENQUE TILA YAJALÓN CHENALHÓ ZINACANTÁN MOTOZINTLA HUIXTLA
        CINTALAPA OCOZOCOAUTLA BOCHIL SIMOJOVEL PANTELHÓ CHILÓN SITALÁ HUITIUPÁN LARRÁINZAR MITONTIC
        AMATENANGO TECPATÁN COPAINALÁ CHICOASÉN OSUMACINTA JIQUIPILAS ESCUINTLA ACAPETAHUA MAPASTEPEC
        PIJIJIAPAN TONALÁ ARRIAGA NACAJUCA JALPA_DE_MÉNDEZ CUNDUACÁN TEAPA TACOTALPA JONUTA
        """
    ),
    "purepecha": words(
        """
        CUITZEO TACÁMBARO HUETAMO ZITÁCUARO PÁTZCUARO QUIROGA TZINTZUNTZAN PARACHO CHERÁN TANCÍTARO
        TEPALCATEPEC COALCOMÁN ACUITZIO TLALPUJAHUA TUZANTLA CHARAPAN NAHUATZEN TINGAMBATO
        ZIRACUARETIRO TARETAN ERONGARÍCUARO COENEO HUANIQUEO CHUCÁNDIRO CHURUMUCO TZITZIO ZINAPÉCUARO
        """
    ),
    "north": words(
        """
        SABINAS CANDELA ANÁHUAC LAMPAZOS BUSTAMANTE HIGUERAS MIER CAMARGO OCAMPO ALDAMA JIMÉNEZ
        CASAS_GRANDES SANTA_BÁRBARA PARRAL MEOQUI SAUCILLO OJINAGA GUACHOCHI BOCOYNA URIQUE MOCTEZUMA
        URES MAGDALENA CABORCA ÁLAMOS ETCHOJOA HUATABAMPO BÁCUM EMPALME GUAYMAS SAHUARIPA ARIVECHI
        CUMPAS NACOZARI AGUA_PRIETA CANANEA SIERRA_MOJADA CUATRO_CIÉNEGAS CASTAÑOS FRONTERA NAVA
        VILLALDAMA CERRALVO CADEREYTA LINARES MONTEMORELOS DOCTOR_ARROYO CHARCAS SALINAS
        NOMBRE_DE_DIOS CANATLÁN TEPEHUANES PAPASQUIARO CUENCAMÉ MAPIMÍ NAZAS RODEO ELOTA COSALÁ
        BADIRAGUATO CHOIX ESCUINAPA CONCORDIA
        """
    ),
    "west": words(
        """
        TEPATITLÁN AUTLÁN COCULA TAMAZULA ZAPOTLÁN TEOCALTICHE JALOSTOTITLÁN TECALITLÁN AMECA
        AHUALULCO TALA ETZATLÁN MASCOTA TALPA TOMATLÁN CIHUATLÁN TAPALPA SAYULA ZACOALCO CHAPALA
        JOCOTEPEC PONCITLÁN JAMAY ATOTONILCO ARANDAS AYOTLÁN DEGOLLADO LAGOS YAHUALICA COLOTLÁN
        HUEJUQUILLA ACAPONETA TECUALA AHUACATLÁN COMPOSTELA JALA PÉNJAMO CUERÁMARO ROMITA SILAO
        ACÁMBARO SALVATIERRA YURIRIA MOROLEÓN URIANGATO JERÉCUARO TARIMORO APASEO COMONFORT AMEALCO
        TOLIMÁN PEÑAMILLER JALPAN
        """
    ),
    "central": words(
        """
        TLALTENANGO TEPEXI ZACATLÁN TEPEACA HUEJOTZINGO TLAPA AMATLÁN TEPETLAPA XALTEPEC ACATLÁN
        TECAMACHALCO CHIAUTLA CUAUTEMPAN TLATLAUQUITEPEC ZONGOLICA ATOYAC JALAPA TOTOLAPAN
        IXMIQUILPAN ZIMAPÁN TECOZAUTLA ACTOPAN TEZONTEPEC APAN TLANALAPAN OCUILAN TENANCINGO
        MALINALCO TEJUPILCO AMANALCO XONACATLÁN OTZOLOAPAN TEMASCALTEPEC COATEPEC CHICONTEPEC
        HUAYACOCOTLA TANTOYUCA TEMPOAL IXHUATLÁN TLACOTALPAN ACAYUCAN COSAMALOAPAN NOPALA TETELA
        XICOTEPEC HUAUCHINANGO TEZIUTLÁN ZACAPOAXTLA CUETZALAN CHIGNAHUAPAN IXCAQUIXTLA TLACHICHUCA
        """
    ),
    "oaxaca": words(
        """
        OCOTLÁN TLACOLULA IXTLÁN ZIMATLÁN EJUTLA MIAHUATLÁN TEOTITLÁN TLAXIACO NOCHIXTLÁN
        JUXTLAHUACA COYOTEPEC YAUTEPEC TEPOSCOLULA COIXTLAHUACA ETLA ZAACHILA ZOOGOCHO YALALAG
        TAMAZULÁPAM TLAHUITOLTEPEC TEHUANTEPEC JAMILTEPEC PINOTEPA POCHUTLA JUQUILA SOLA_DE_VEGA
        HUAUTLA CUICATLÁN YOLOMÉCATL TILANTONGO APOALA NUNDACO YUCUHITI CHALCATONGO ATATLAHUCA
        PEÑOLES TEOJOMULCO ZANIZA TEXMELUCAN XANICA
        """
    ),
}
REGION_OF_STATE: dict[str, str] = {
    code: region
    for region, codes in {
        "maya": "YN QR CC",
        "chiapas": "CS TC",
        "purepecha": "MN",
        "north": "BC BS SR CH CL NL TS DG SL ZS SP",
        "west": "JC NT CM GT QT AS",
        "central": "MC DF PL TL HG MS VZ GR",
        "oaxaca": "OC",
    }.items()
    for code in codes.split()
}
SUFFIXES = words(
    "_DE_JUÁREZ _DE_MORELOS _DE_HIDALGO _DE_ZARAGOZA _DE_GUERRERO _EL_GRANDE _EL_ALTO _DE_ALLENDE "
    "_DE_LOS_REYES _DE_MATAMOROS _DE_GALEANA _DE_BRAVO"
)
LOCALITY_STEMS = words(
    """
    EL_ROSARIO LA_ESPERANZA SAN_ISIDRO LA_LIBERTAD EL_CARMEN LA_PROVIDENCIA BUENAVISTA EL_PROGRESO
    LAS_FLORES LOS_REYES LA_CONCEPCIÓN EL_PORVENIR NUEVO_MÉXICO LA_JOYA EL_MIRADOR LAS_PALMAS
    EL_LLANO LA_LOMA EL_CERRITO LOS_PINOS EL_SABINO EL_ZAPOTE LA_PALMA EL_NARANJO LA_CIÉNEGA
    OJO_DE_AGUA AGUA_ZARCA EL_TEPEHUAJE LA_MESA EL_SALTO LAS_CRUCES LA_CAÑADA EL_AGUAJE LOS_ÁLAMOS
    PIEDRA_BLANCA EL_PEDREGAL LA_PRESA EL_TULE LA_VENTA EL_PARAÍSO SANTA_ROSA GUADALUPE
    LA_SOLEDAD EL_REFUGIO LA_TRINIDAD LAS_ÁNIMAS EL_CAPULÍN EL_OCOTE LA_CANDELARIA EL_LIMÓN
    ARROYO_SECO PALO_ALTO TRES_CRUCES DOS_RÍOS LA_PIEDAD CERRO_GORDO EL_MOLINO LA_HACIENDA
    """
)
LOCALITY_PREFIXES = words("RANCHO_ EJIDO_ COLONIA_ BARRIO_ CONGREGACIÓN_")
HEROES = words(
    """
    EMILIANO_ZAPATA BENITO_JUÁREZ LÁZARO_CÁRDENAS FRANCISCO_I._MADERO VICENTE_GUERRERO
    MIGUEL_HIDALGO JOSÉ_MARÍA_MORELOS IGNACIO_ZARAGOZA NIÑOS_HÉROES VENUSTIANO_CARRANZA
    FRANCISCO_VILLA ADOLFO_LÓPEZ_MATEOS
    """
)


@dataclass(frozen=True, slots=True)
class Geography:
    """Arrays over municipalities (``mun_*``) and localities (``loc_*``); indices are global."""

    mun_state: NDArray[np.int32]
    mun_name: NDArray[np.object_]
    loc_state: NDArray[np.int32]
    loc_mun: NDArray[np.int32]
    loc_name: NDArray[np.object_]
    loc_lat: NDArray[np.float64]
    loc_lon: NDArray[np.float64]
    # Cumulative within-state locality weights shifted by the state index: a draw for state s is
    # searchsorted(loc_cum, s + u, "right") with u uniform in [0, 1).
    loc_cum: NDArray[np.float64]
    # Localities that are cabeceras (where hospitals go), and the state capital's cabecera.
    loc_is_cabecera: NDArray[np.bool_]
    state_capital_loc: NDArray[np.int32]

    def draw_localities(self, rng: np.random.Generator, states: NDArray[np.int32]) -> NDArray[np.int32]:
        """One locality per entry of ``states``, weighted by population within the state."""
        u = states + rng.random(int(states.shape[0])) * 0.999999
        return np.searchsorted(self.loc_cum, u, side="right").astype(np.int32)


def _municipality_names(
    rng: np.random.Generator, known: tuple[str, ...], count: int, toponyms: tuple[str, ...]
) -> list[str]:
    names = list(known[:count])
    taken = set(names)
    while len(names) < count:
        pick = rng.random()
        top = toponyms[int(rng.integers(len(toponyms)))]
        if pick < 0.45:
            candidate = f"{SAINTS[int(rng.integers(len(SAINTS)))]} {top}"
        elif pick < 0.7:
            candidate = top
        elif pick < 0.9:
            candidate = top + SUFFIXES[int(rng.integers(len(SUFFIXES)))]
        else:
            candidate = f"VILLA DE {top}"
        if candidate not in taken:
            taken.add(candidate)
            names.append(candidate)
    return names


LOCALITY_POOL: tuple[str, ...] = (
    LOCALITY_STEMS
    + SAINTS
    + tuple(p + s for p in LOCALITY_PREFIXES for s in LOCALITY_STEMS[:20])
    + tuple(f"COLONIA {h}" for h in HEROES)
    + tuple(f"EJIDO {h}" for h in HEROES)
)


def build_geography(rng: np.random.Generator) -> Geography:
    """Every state's municipalities and localities; depends only on ``rng``, never on N."""
    mun_state: list[int] = []
    mun_name: list[str] = []
    loc_state: list[int] = []
    loc_mun: list[int] = []
    loc_name: list[str] = []
    loc_lat: list[float] = []
    loc_lon: list[float] = []
    loc_weight: list[float] = []
    capitals: list[int] = []
    for s, facts in enumerate(STATES):
        names = _municipality_names(
            rng, facts.known_municipalities, facts.municipalities, TOPONYMS[REGION_OF_STATE[facts.code]]
        )
        mun_weights = zipf_weights(len(names), shift=0.6)
        lat_span = facts.lat_max - facts.lat_min
        lon_span = facts.lon_max - facts.lon_min
        for m, name in enumerate(names):
            mun_index = len(mun_name)
            mun_state.append(s)
            mun_name.append(name)
            centre_lat = facts.lat_min + lat_span * (0.1 + 0.8 * rng.random())
            centre_lon = facts.lon_min + lon_span * (0.1 + 0.8 * rng.random())
            n_loc = 1 + min(int(rng.poisson(7)), 24)
            others = rng.choice(len(LOCALITY_POOL), size=n_loc - 1, replace=False)
            loc_names = [name] + [LOCALITY_POOL[int(i)] for i in others]
            weights = np.concatenate(([1.0], zipf_weights(n_loc - 1, shift=1.0) if n_loc > 1 else []))
            weights = weights / weights.sum()
            spread = min(lat_span, lon_span) * 0.04
            if m == 0:
                capitals.append(len(loc_name))
            for k, loc in enumerate(loc_names):
                loc_state.append(s)
                loc_mun.append(mun_index)
                loc_name.append(loc)
                jitter = 0.0 if k == 0 else spread
                loc_lat.append(
                    float(np.clip(centre_lat + rng.normal(0, jitter), facts.lat_min, facts.lat_max))
                )
                loc_lon.append(
                    float(np.clip(centre_lon + rng.normal(0, jitter), facts.lon_min, facts.lon_max))
                )
                loc_weight.append(float(mun_weights[m] * weights[k]))
    loc_state_arr = np.asarray(loc_state, dtype=np.int32)
    weights_arr = np.asarray(loc_weight)
    cum = np.empty_like(weights_arr)
    for s in range(len(STATES)):
        idx = np.flatnonzero(loc_state_arr == s)
        within = np.cumsum(weights_arr[idx])
        cum[idx] = s + within / within[-1]
        cum[idx[-1]] = s + 1.0
    loc_mun_arr = np.asarray(loc_mun, dtype=np.int32)
    is_cabecera = np.ones(len(loc_mun_arr), dtype=bool)
    is_cabecera[1:] = loc_mun_arr[1:] != loc_mun_arr[:-1]
    return Geography(
        mun_state=np.asarray(mun_state, dtype=np.int32),
        mun_name=np.asarray(mun_name, dtype=object),
        loc_state=loc_state_arr,
        loc_mun=loc_mun_arr,
        loc_name=np.asarray(loc_name, dtype=object),
        loc_lat=np.asarray(loc_lat),
        loc_lon=np.asarray(loc_lon),
        loc_cum=cum,
        loc_is_cabecera=is_cabecera,
        state_capital_loc=np.asarray(capitals, dtype=np.int32),
    )
