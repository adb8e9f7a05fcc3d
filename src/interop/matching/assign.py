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


class _Groups:
    """Groups of records (and existing persons) joined by auto edges, under the rules above."""

    def __init__(
        self,
        person_of: dict[str, uuid.UUID],
        free: set[str],
        manual_no_match: Mapping[str, set[uuid.UUID]],
        conflict: Callable[[str, str], bool] | None,
    ):
        self.person_of, self.free = person_of, free
        self.manual_no_match, self.conflict = manual_no_match, conflict
        self.union = _Union()
        self.ties: dict[tuple[str, str], float] = defaultdict(float)  # (record node, person node) -> weight
        self.best_edge: dict[str, Edge] = {}
        # Records of each group, for the conflict check (person nodes: their unchanged records).
        self.members_of: dict[str, list[str]] = {}
        if conflict is not None:
            for record, person in person_of.items():
                if record not in free:
                    self.members_of.setdefault("p:" + str(person), []).append(record)

    def node(self, record: str) -> str | None:
        if record in self.free:
            return "r:" + record
        person = self.person_of.get(record)
        return None if person is None else "p:" + str(person)

    def _members(self, root: str) -> list[str]:
        if root not in self.members_of:
            self.members_of[root] = [root[2:]] if root.startswith("r:") else []
        return self.members_of[root]

    def _clash(self, ra: str, rb: str) -> bool:
        if self.conflict is None:
            return False
        ma, mb = self._members(ra), self._members(rb)
        if len(ma) * len(mb) > 400:
            return False  # a group this large is already a problem no check can fix cheaply
        return any(self.conflict(x, y) for x in ma for y in mb)

    def _refused(self, edge: Edge, a: str, b: str) -> bool:
        """A record's MANUAL NO_MATCH with the person at the edge's other end."""
        no = self.manual_no_match
        return bool(no) and (
            (b.startswith("p:") and uuid.UUID(b[2:]) in no.get(edge.left, ()))
            or (a.startswith("p:") and uuid.UUID(a[2:]) in no.get(edge.right, ()))
        )

    def take(self, edge: Edge) -> None:
        """Join the groups at the edge's ends, unless a rule keeps them apart."""
        a, b = self.node(edge.left), self.node(edge.right)
        if a is None or b is None or a == b:
            return
        find = self.union.find
        ra, rb = find(a), find(b)
        if ra == rb:
            return  # already together: nothing below could change
        a_person, b_person = a.startswith("p:"), b.startswith("p:")
        if a_person and b_person:
            return  # never merge two existing persons automatically
        if self._refused(edge, a, b):
            return
        if ra.startswith("p:") and rb.startswith("p:"):
            return  # the two groups already hold two existing persons
        if self._clash(ra, rb):
            return
        self._join(a, b, ra, rb, edge)
        if a_person != b_person:
            self.ties[(b, a) if a_person else (a, b)] += edge.weight

    def _join(self, a: str, b: str, ra: str, rb: str, edge: Edge) -> None:
        self.union.union(a, b)
        if self.conflict is not None:
            root = self.union.find(a)
            merged = self._members(ra) + self._members(rb)
            self.members_of[root] = merged
            self.members_of.pop(rb if root == ra else ra, None)
        for rec in (edge.left, edge.right):
            if rec in self.free and (rec not in self.best_edge or edge.weight > self.best_edge[rec].weight):
                self.best_edge[rec] = edge

    def record_groups(self) -> dict[str, list[str]]:
        """The free records of each group, by the group's root."""
        members: dict[str, list[str]] = defaultdict(list)
        for record in self.free:
            members[self.union.find("r:" + record)].append(record)
        return members

    def strength(self) -> dict[str, dict[str, float]]:
        """Tie strength of each group to each existing person it touches."""
        out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for (rec_node, person_node), w in self.ties.items():
            out[self.union.find(rec_node)][person_node] += w
        return out


def _held_ids(
    previous: Mapping[str, uuid.UUID],
    existing: Mapping[str, uuid.UUID],
    manual_match: Mapping[str, uuid.UUID],
    held: Collection[uuid.UUID] | None,
) -> set[str]:
    """Former persons still held by records outside this run's scored ones (not to be reused)."""
    if not previous:
        return set()
    if held is None:
        return {str(p) for p in existing.values()} | {str(p) for p in manual_match.values()}
    return {str(p) for p in held}


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
    person_of: dict[str, uuid.UUID] = dict(existing)
    person_of.update(manual_match)
    free = {r for r in set(scored) if r not in manual_match}
    groups = _Groups(person_of, free, manual_no_match, conflict)
    for edge in sorted(edges, key=lambda e: -e.weight):
        groups.take(edge)
    result = Assignment(person_of=person_of)
    chooser = _Chooser(previous, _held_ids(previous, existing, manual_match, held), new_id, result)
    strength = groups.strength()
    # Larger groups first, so a split person keeps its id on its larger part.
    for root, records in sorted(groups.record_groups().items(), key=lambda kv: (-len(kv[1]), kv[0])):
        chosen = chooser.person_for(records, strength.get(root))
        for record in records:
            if chosen in manual_no_match.get(record, set()):
                alone = new_id()
                result.new_persons.add(alone)
                person_of[record] = alone
                continue
            person_of[record] = chosen
            if record in groups.best_edge:
                result.via[record] = groups.best_edge[record]
    return result


class _Chooser:
    """The person a group becomes: the existing person it is most tied to, else a former person of
    its records that nobody else holds, else a new one."""

    def __init__(
        self,
        previous: Mapping[str, uuid.UUID],
        held_ids: set[str],
        new_id: Callable[[], uuid.UUID],
        result: Assignment,
    ):
        self.previous, self.held_ids, self.new_id, self.result = previous, held_ids, new_id, result
        self.reused: set[str] = set()

    def person_for(self, records: list[str], tied: Mapping[str, float] | None) -> uuid.UUID:
        if tied:
            return uuid.UUID(max(sorted(tied), key=lambda p: tied[p])[2:])
        # A record's former person is reused only when no unchanged record still holds it.
        previous = self.previous
        before = (
            sorted({str(previous[r]) for r in records if r in previous} - self.held_ids - self.reused)
            if previous
            else []
        )
        if before:
            self.reused.add(before[0])
            return uuid.UUID(before[0])
        chosen = self.new_id()
        self.result.new_persons.add(chosen)
        return chosen
