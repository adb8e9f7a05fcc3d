"""Person assignment after a run: which golden person each scored record belongs to. Pure.

Rules, in order of precedence:
1. A record with a MANUAL MATCH keeps that person; MANUAL decisions are never overturned.
2. A record not scored in this run (unchanged) keeps its person: ids stay stable.
3. Scored records are grouped by the auto-link edges among them and to unchanged records (which stand
   for their persons). A group touching no existing person gets a new person — or the person one of its
   records had before, when there is one; a group touching some takes the person it is most strongly
   tied to (summed match weight). Two existing persons are never merged automatically.
4. An edge between a record and a person it has a MANUAL NO_MATCH with is ignored.
5. Edges are taken strongest first (equal weights in the order given), and two groups are never
   joined when any record of one is in hard conflict with any record of the other
   (``conflict.hard_conflict``: different trusted CURPs, birth dates years apart, given names that
   are not variants of each other). This stops chains through a sparse record (no CURP, no birth
   date) from joining a parent with a namesake child, or twins.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Edge:
    left: str
    right: str
    weight: float


@dataclass
class Assignment:
    person_of: dict[str, uuid.UUID]
    new_persons: set[uuid.UUID] = field(default_factory=set)
    # The edge that tied each scored record into its group (for the link's score and evidence).
    via: dict[str, Edge] = field(default_factory=dict)


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        root = parent.get(x, x)
        if root == x:
            return x
        up = parent.get(root, root)
        while up != root:
            root, up = up, parent.get(up, up)
        while x != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def assign_persons(
    *,
    scored: Iterable[str],
    existing: Mapping[str, uuid.UUID],
    previous: Mapping[str, uuid.UUID],
    manual_match: Mapping[str, uuid.UUID],
    manual_no_match: Mapping[str, set[uuid.UUID]],
    edges: Iterable[Edge],
    new_id: Callable[[], uuid.UUID] = uuid.uuid4,
    conflict: Callable[[str, str], bool] | None = None,
    held: Collection[uuid.UUID] | None = None,
) -> Assignment:
    """``scored``: records scored in this run; ``existing``: person of every unchanged record (at least
    every unchanged record of each person an edge touches); ``previous``: person a scored record had
    before this run; ``edges``: auto-link pairs; ``held``: former persons still held by records outside
    ``scored`` (by default the persons of ``existing`` and ``manual_match``)."""
    scored_set = set(scored)
    person_of: dict[str, uuid.UUID] = dict(existing)
    person_of.update(manual_match)
    free = {r for r in scored_set if r not in manual_match}

    def node(record: str) -> str | None:
        if record in free:
            return "r:" + record
        person = person_of.get(record)
        return None if person is None else "p:" + str(person)

    groups = _Union()
    ties: dict[tuple[str, str], float] = defaultdict(float)  # (record node, person node) -> weight
    best_edge: dict[str, Edge] = {}
    # Records of each group, for the conflict check (person nodes: their unchanged records).
    members_of: dict[str, list[str]] = {}
    if conflict is not None:
        for record, person in person_of.items():
            if record not in free:
                members_of.setdefault("p:" + str(person), []).append(record)

    def group_members(root: str) -> list[str]:
        if root not in members_of:
            members_of[root] = [root[2:]] if root.startswith("r:") else []
        return members_of[root]

    def clash(ra: str, rb: str) -> bool:
        if conflict is None:
            return False
        ma, mb = group_members(ra), group_members(rb)
        if len(ma) * len(mb) > 400:
            return False  # a group this large is already a problem no check can fix cheaply
        return any(conflict(x, y) for x in ma for y in mb)

    find = groups.find
    for edge in sorted(edges, key=lambda e: -e.weight):
        a, b = node(edge.left), node(edge.right)
        if a is None or b is None or a == b:
            continue
        ra, rb = find(a), find(b)
        if ra == rb:
            continue  # already together: nothing below could change
        a_person, b_person = a.startswith("p:"), b.startswith("p:")
        if a_person and b_person:
            continue  # never merge two existing persons automatically
        if manual_no_match and (
            (b_person and uuid.UUID(b[2:]) in manual_no_match.get(edge.left, ()))
            or (a_person and uuid.UUID(a[2:]) in manual_no_match.get(edge.right, ()))
        ):
            continue
        if ra.startswith("p:") and rb.startswith("p:"):
            continue  # the two groups already hold two existing persons
        if clash(ra, rb):
            continue
        groups.union(a, b)
        if conflict is not None:
            root = find(a)
            merged = group_members(ra) + group_members(rb)
            members_of[root] = merged
            members_of.pop(rb if root == ra else ra, None)
        for rec in (edge.left, edge.right):
            if rec in free and (rec not in best_edge or edge.weight > best_edge[rec].weight):
                best_edge[rec] = edge
        if a_person != b_person:
            ties[(b, a) if a_person else (a, b)] += edge.weight

    members: dict[str, list[str]] = defaultdict(list)
    for record in free:
        members[find("r:" + record)].append(record)
    # Tie strength of each group to each existing person it touches.
    strength: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (rec_node, person_node), w in ties.items():
        strength[find(rec_node)][person_node] += w

    result = Assignment(person_of=person_of)
    reused: set[str] = set()
    if not previous:
        held_ids: set[str] = set()
    elif held is None:
        held_ids = {str(p) for p in existing.values()} | {str(p) for p in manual_match.values()}
    else:
        held_ids = {str(p) for p in held}
    # Larger groups first, so a split person keeps its id on its larger part.
    for root, records in sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        tied = strength.get(root)
        if tied:
            chosen = uuid.UUID(max(sorted(tied), key=lambda p: tied[p])[2:])
        else:
            # A record's former person is reused only when no unchanged record still holds it.
            before = (
                sorted({str(previous[r]) for r in records if r in previous} - held_ids - reused)
                if previous
                else []
            )
            if before:
                chosen = uuid.UUID(before[0])
                reused.add(before[0])
            else:
                chosen = new_id()
                result.new_persons.add(chosen)
        for record in records:
            if chosen in manual_no_match.get(record, set()):
                alone = new_id()
                result.new_persons.add(alone)
                person_of[record] = alone
                continue
            person_of[record] = chosen
            if record in best_edge:
                result.via[record] = best_edge[record]
    return result
