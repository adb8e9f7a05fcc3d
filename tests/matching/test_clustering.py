"""The batch-scale assignment (``clustering``, mostly SQL) gives the persons, links and review pairs the
reference rules (``assign.assign_persons`` over every edge) give, on random cases with every exception:
unchanged records, former persons, manual links both ways, decided reviews, conflicts, ties."""

from __future__ import annotations

import random
import uuid
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from interop.matching import clustering
from interop.matching.assign import Edge, assign_persons
from interop.matching.conflict import (
    SIGNATURE_COLUMNS,
    Signature,
    hard_conflict,
    names_settle_apart_sql,
    roll_curp_of_another,
    settled_apart,
)
from interop.matching.edge_columns import apart_sql
from interop.matching.features import FEATURE_COLUMNS

AUTO = 0.99
GIVEN = ("JUAN", "JUAN CARLOS", "JUAN JOSE", "CARLOS", "MARIA", "ROSA", "LUIS", "MARIA LUISA")


def _case(rng: random.Random) -> dict[str, Any]:
    n = rng.randint(2, 40)
    ids = [f"{rng.choice(('roll', 'patients'))}|{i:03d}" for i in range(n)]
    persons = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(max(1, n // 3))]
    first_load = rng.random() < 0.4  # nothing stored yet: every record scored, no history
    scored = ids if first_load else [u for u in ids if rng.random() < 0.75] or ids[:1]
    unscored = [u for u in ids if u not in scored]
    # A record's stored person: every unchanged record has one (or rarely none), some scored ones too.
    prev = {
        u: rng.choice(persons)
        for u in ids
        if not first_load and ((u in unscored and rng.random() < 0.9) or rng.random() < 0.2)
    }
    feats = {}
    for u in ids:
        given = rng.choice(GIVEN) if rng.random() < 0.9 else None
        feats[u] = (
            rng.choice(["CURPA", "CURPB", None, None]),
            rng.choice(["1950-01-01", "1950-01-02", "1980-06-06", None]),
            given.split()[0] if given else None,
            " ".join(given.split()[1:]) or None if given else None,
            given,
            rng.choice(["H", "M", "M", None]),
            u.split("|")[0],
        )
    manual = []
    for u in rng.sample(ids, k=0 if first_load else min(len(ids), rng.randint(0, 3))):
        manual.append((u, rng.choice(persons), rng.choice(["MATCH", "NO_MATCH"])))
    seen_match: set[str] = set()
    manual = [m for m in manual if m[2] == "NO_MATCH" or not (m[0] in seen_match or seen_match.add(m[0]))]
    edges = []
    pairs = {tuple(sorted(rng.sample(ids, 2))) for _ in range(rng.randint(1, 3 * n))}
    for left, right in sorted(pairs):
        if left not in scored and right not in scored:
            continue  # a run scores pairs with at least one scored record
        weight = float(rng.choice([5, 8, 10, 10, 12, 15, 20]))  # ties on purpose
        probability = rng.choice([0.6, 0.95, 0.99, 0.995, 0.999])
        edges.append((left, right, weight, probability, rng.random() < 0.85))
    decided = [tuple(sorted(rng.sample(ids, 2))) for _ in range(rng.randint(0, 2))]
    return {
        "scored": scored,
        "unscored": unscored,
        "prev": prev,
        "feats": feats,
        "manual": manual,
        "edges": edges,
        "decided": decided,
    }


def _reference(case: dict[str, Any]) -> tuple[dict[str, str], dict[str, tuple[str, str]], set[Any]]:
    ordered = sorted(case["edges"], key=lambda e: (-e[2], e[0], e[1]))
    existing = {u: uuid.UUID(p) for u, p in case["prev"].items() if u in case["unscored"]}
    previous = {u: uuid.UUID(p) for u, p in case["prev"].items() if u in case["scored"]}
    manual_match = {u: uuid.UUID(p) for u, p, s in case["manual"] if s == "MATCH"}
    manual_no: dict[str, set[uuid.UUID]] = {}
    for u, p, s in case["manual"]:
        if s == "NO_MATCH":
            manual_no.setdefault(u, set()).add(uuid.UUID(p))
    sig = {u: Signature(*f) for u, f in case["feats"].items()}
    # Pairs a rule settles as two people are neither linked nor reviewed.
    ordered = [e for e in ordered if not settled_apart(sig[e[0]], sig[e[1]])]
    result = assign_persons(
        scored=case["scored"],
        existing=existing,
        previous=previous,
        manual_match=manual_match,
        manual_no_match=manual_no,
        edges=[Edge(a, b, w) for a, b, w, p, ok in ordered if p >= AUTO and ok],
        conflict=lambda x, y: hard_conflict(sig[x], sig[y]),
    )
    person_of = {u: str(p) for u, p in result.person_of.items()}
    via = {u: (e.left, e.right) for u, e in result.via.items() if u not in manual_match}
    decided = {tuple(d) for d in case["decided"]}
    reviews = set()
    for a, b, _, _, _ in ordered:
        pa_, pb_ = result.person_of.get(a), result.person_of.get(b)
        if pa_ == pb_ or (min(a, b), max(a, b)) in decided:
            continue
        if pb_ in manual_no.get(a, ()) or pa_ in manual_no.get(b, ()):
            continue
        reviews.add((a, b, None if pb_ is None else str(pb_)))
    return person_of, via, reviews


def _clustered(
    case: dict[str, Any],
) -> tuple[dict[str, str], dict[str, tuple[str, str]], set[Any], clustering.ClusterCounts]:
    con = duckdb.connect()

    def table(name: str, columns: dict[str, list[Any]], types: dict[str, Any] | None = None) -> None:
        arrow = pa.table({k: pa.array(v, (types or {}).get(k, pa.string())) for k, v in columns.items()})
        con.register(f"{name}_arrow", arrow)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")

    table("scored", {"unique_id": case["scored"]})
    table("unscored", {"unique_id": case["unscored"]})
    prev = case["prev"]
    table(
        "prev",
        {"unique_id": list(prev), "feature_digest": ["x"] * len(prev), "person_id": list(prev.values())},
    )
    feats = case["feats"]
    names = list(SIGNATURE_COLUMNS)
    given = {c: [(*f, *[None] * len(names))[i] for f in feats.values()] for i, c in enumerate(names)}
    # Every feature column a run's ``feats`` has (the rules read the place too), the rest left blank.
    others = {c: [None] * len(feats) for c in FEATURE_COLUMNS if c not in given and c != "unique_id"}
    table("feats", {"unique_id": list(feats), **given, **others})
    table("manual", {k: [m[i] for m in case["manual"]] for i, k in enumerate(["uid", "person_id", "state"])})
    table("decided", {"a": [d[0] for d in case["decided"]], "b": [d[1] for d in case["decided"]]})
    e = case["edges"]
    table(
        "edge_in",
        {
            "l": [x[0] for x in e],
            "r": [x[1] for x in e],
            "w": [x[2] for x in e],
            "p": [x[3] for x in e],
            "linkable": [x[4] for x in e],
        },
        {"w": pa.float64(), "p": pa.float64(), "linkable": pa.bool_()},
    )
    # ``apart`` as a run's scoring step tells it, from the pair's records.
    con.execute(
        f"CREATE TABLE edge AS SELECT e.*, {apart_sql(dates=True)} AS apart, "
        f"{names_settle_apart_sql('a', 'b')} AS named, "
        "row_number() OVER (ORDER BY w DESC, l, r) AS k FROM edge_in e "
        "LEFT JOIN feats a ON a.unique_id = e.l LEFT JOIN feats b ON b.unique_id = e.r"
    )
    counts = clustering.assign(con, auto_threshold=AUTO)
    person_of = dict(con.execute("SELECT unique_id, person_id FROM person_of").fetchall())
    via = {u: (a, b) for u, _, a, b in con.execute("SELECT * FROM assigned").fetchall() if a is not None}
    reviews = set(con.execute("SELECT l, r, person_r FROM review_edge").fetchall())
    new = {r[0] for r in con.execute("SELECT id FROM new_person").fetchall()}
    assert len(new) == counts.persons_new
    return person_of, via, reviews, counts


def _canonical(person_of: dict[str, str], known: set[str]) -> dict[str, str]:
    """Person ids a run makes up are random: name each new person by its least record."""
    first: dict[str, str] = {}
    for record in sorted(person_of):
        first.setdefault(person_of[record], record)
    return {r: p if p in known else "new:" + first[p] for r, p in person_of.items()}


def test_clustering_gives_the_reference_persons_links_and_reviews() -> None:
    rng = random.Random(7)
    simple_seen = python_seen = 0
    for _ in range(120):
        case = _case(rng)
        known = set(case["prev"].values()) | {m[1] for m in case["manual"]}
        ref_person, ref_via, ref_reviews = _reference(case)
        got_person, got_via, got_reviews, counts = _clustered(case)
        ref_c, got_c = _canonical(ref_person, known), _canonical(got_person, known)
        assert got_c == ref_c, case
        assert got_via == ref_via, case
        canon = {p: c for r, p in got_person.items() for c in [got_c[r]]}
        ref_canon = {p: c for r, p in ref_person.items() for c in [ref_c[r]]}
        assert {(a, b, canon.get(p) if p else None) for a, b, p in got_reviews} == {
            (a, b, ref_canon.get(p) if p else None) for a, b, p in ref_reviews
        }, case
        assert counts.persons_new == len({p for p in got_person.values() if p not in known})
        simple_seen += any(p not in known for p in got_person.values())
        python_seen += bool(case["prev"] or case["manual"])
    assert simple_seen > 30
    assert python_seen > 30


def test_a_first_load_is_settled_in_sql_but_conflicts_go_through_the_rules() -> None:
    case: dict[str, Any] = {
        "scored": ["p|1", "p|2", "p|3", "p|4", "p|5", "p|6"],
        "unscored": [],
        "prev": {},
        "feats": {
            "p|1": ("CURPA", "1950-01-01", "JUAN", None, "JUAN"),
            "p|2": (None, "1950-01-01", "JUAN", None, "JUAN"),
            "p|3": (
                None,
                None,
                "ROSA",
                None,
                "ROSA",
            ),  # tied to 4 and 5, which conflict (dates decades apart)
            "p|4": ("CURPB", "1950-01-01", "ROSA", None, "ROSA"),
            "p|5": (None, "1974-08-10", "ROSA", None, "ROSA"),
            "p|6": (None, None, None, None, None),
        },
        "manual": [],
        "edges": [
            ("p|1", "p|2", 20.0, 0.999, True),
            ("p|3", "p|4", 15.0, 0.999, True),
            ("p|3", "p|5", 12.0, 0.999, True),
        ],
        "decided": [],
    }
    person_of, via, _, counts = _clustered(case)
    assert counts.settled_in_python == 3  # the component holding a conflict; 1-2 and 6 in SQL
    assert person_of["p|1"] == person_of["p|2"]
    assert via["p|1"] == via["p|2"] == ("p|1", "p|2")
    assert person_of["p|3"] == person_of["p|4"] != person_of["p|5"]
    assert len(set(person_of.values())) == 4


def test_a_first_load_holds_a_roll_record_under_the_other_pensioners_curp() -> None:
    """Two roll records, the same given names, date and CURP, other surnames: the CURP states GARCIA
    LOPEZ's letters on HERNANDEZ LOPEZ's record (``roll_curp_of_another``), two pensioners. A first load
    settles simple components in SQL; it held the pair only when a later run sent the component through
    the rules (fails on the old ``_SURELY_COMPATIBLE``: the first load joined them)."""
    curp = "GALM500101MDFRPR09"
    her = ("roll", "HERNANDEZ", "LOPEZ", "HELM500101MDFRPR")
    other = ("roll", "GARCIA", "LOPEZ", "GALM500101MDFRPR")
    feats = {
        "roll|1": (curp, "1950-01-01", "MARIA", None, "MARIA", "M", *her),
        "roll|2": (curp, "1950-01-01", "MARIA", None, "MARIA", "M", *other),
    }
    assert roll_curp_of_another(Signature(*feats["roll|1"]), Signature(*feats["roll|2"]))
    case: dict[str, Any] = {
        "scored": list(feats),
        "unscored": [],
        "prev": {},
        "feats": feats,
        "manual": [],
        "edges": [("roll|1", "roll|2", 25.0, 0.9999, True)],
        "decided": [],
    }
    person_of, _, reviews, _ = _clustered(case)
    ref_person, _, ref_reviews = _reference(case)
    assert person_of["roll|1"] != person_of["roll|2"]
    assert ref_person["roll|1"] != ref_person["roll|2"]
    assert {(a, b) for a, b, _ in reviews} == {(a, b) for a, b, _ in ref_reviews} == {("roll|1", "roll|2")}


def test_components_are_found_in_sql_as_a_union_find_would() -> None:
    """Components of the auto-link graph (a long chain, stars, pairs, random edges), each named by its
    least node id, computed in DuckDB without the graph entering Python."""
    rng = random.Random(9)
    edges = [(f"c{i:03d}", f"c{i + 1:03d}") for i in range(60)]  # one chain of 61 records
    edges += [(f"s{k}", f"s{k}_{j}") for k in range(5) for j in range(6)]
    edges += [(f"r{rng.randrange(300):03d}", f"r{rng.randrange(300):03d}") for _ in range(250)]
    edges = [(a, b) for a, b in edges if a != b]
    con = duckdb.connect()
    con.register("e_arrow", pa.table({"l": [a for a, _ in edges], "r": [b for _, b in edges]}))
    con.execute("CREATE TABLE auto_edge AS SELECT l, r, 1.0 AS w, 1 AS k FROM e_arrow").fetchall()
    for table in ("scored (unique_id VARCHAR)", "manual (uid VARCHAR)", "previous (unique_id VARCHAR)"):
        con.execute(f"CREATE TABLE {table}").fetchall()
    clustering._components(con)
    got: dict[str, set[str]] = {}
    for uid, comp in con.execute("SELECT uid, comp FROM cl_member").fetchall():
        got.setdefault(str(comp), set()).add(uid)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    expected: dict[str, set[str]] = {}
    for node in {u for e in edges for u in e}:
        expected.setdefault(find(node), set()).add(node)
    assert sorted(map(sorted, got.values())) == sorted(map(sorted, expected.values()))
    ids = dict(con.execute("SELECT uid, id FROM cl_node").fetchall())
    for comp, members in got.items():
        assert int(comp) == min(ids[u] for u in members)
    assert any(len(m) == 61 for m in got.values())
