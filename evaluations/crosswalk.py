"""A rubric crosswalk: how the criteria of one rubric version map onto the next, and how
scores are carried across. Pure: no database.

A new rubric version's crosswalk (``RubricVersion.crosswalk``) names the version it maps
from and a list of entries, each one of:

- ``same``: one old criterion, one new one with the same key;
- ``renamed``: one old criterion, one new one with another key;
- ``split``: one old criterion into two or more new ones;
- ``merged``: two or more old criteria into one new one;
- ``dropped``: an old criterion with no successor (nothing is carried);
- ``new``: a new criterion with no predecessor (nothing is carried).

Each entry has a carry rule: ``copy`` (the old score as it is; for one old criterion),
``average`` (the mean of the old scores there are, rounded to the nearest point, halves
up), ``max`` (the highest of them) or ``unscored`` (nothing is carried: the new criterion is
left for an editor to score). ``dropped`` and ``new`` take ``unscored`` only; ``merged`` takes
``average``, ``max`` or ``unscored``. Old criteria no entry names keep their key when the new
version has it (``same``, ``copy``) and are dropped otherwise; new criteria no entry names are
new. So a version without a crosswalk carries scores by key, as before crosswalks existed.

A carried value outside the new version's scale is not carried. Criteria mapped across
per-party and per-deal are refused when the crosswalk is saved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

KINDS = ("same", "renamed", "split", "merged", "dropped", "new")
RULES = ("copy", "average", "max", "unscored")
KIND_LABELS = {
    "same": "same",
    "renamed": "renamed",
    "split": "split into several",
    "merged": "merged from several",
    "dropped": "dropped",
    "new": "new",
}
RULE_LABELS = {"copy": "copy", "average": "average", "max": "take the maximum", "unscored": "leave unscored"}
# Which rules each kind accepts (the first is its default).
KIND_RULES = {
    "same": ("copy", "unscored"),
    "renamed": ("copy", "unscored"),
    "split": ("copy", "unscored"),
    "merged": ("average", "max", "unscored"),
    "dropped": ("unscored",),
    "new": ("unscored",),
}


@dataclass(frozen=True)
class Entry:
    kind: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    rule: str
    per_party: bool | None = None  # set by ``complete``: whether its criteria are scored per party

    def as_data(self) -> dict:
        return {"kind": self.kind, "from": list(self.old), "to": list(self.new), "rule": self.rule}


@dataclass(frozen=True)
class CriterionInfo:
    """What the crosswalk needs of a criterion."""

    key: str
    per_party: bool


@dataclass(frozen=True)
class Crosswalk:
    """A complete mapping from one version's criteria to the next one's: every old and every new
    criterion is in exactly one entry (the implicit ones filled in)."""

    entries: tuple[Entry, ...]

    def for_new(self, key: str) -> Entry | None:
        return next((e for e in self.entries if key in e.new), None)


@dataclass
class Carried:
    """One party's (or the deal's) scores carried across one or more versions."""

    values: dict[str, int] = field(default_factory=dict)
    # new key -> (kind, rule, old keys) for every value carried by a crosswalk entry
    how: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    # (key, why) for every new criterion left without a score, and every old score not carried
    not_carried: list[tuple[str, str]] = field(default_factory=list)


def parse(data: object) -> tuple[int | None, list[Entry], list[str]]:
    """Read stored or submitted crosswalk data: (from number, entries, errors). Shape only."""
    if data in (None, {}, ""):
        return None, [], []
    errors: list[str] = []
    if not isinstance(data, Mapping):
        return None, [], ["the crosswalk must be an object with 'from' and 'entries'"]
    number = data.get("from")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        errors.append("'from' must be the number of the version the crosswalk maps from")
        number = None
    raw_entries = data.get("entries", [])
    if not isinstance(raw_entries, list):
        return number, [], [*errors, "'entries' must be a list"]
    entries = []
    for index, item in enumerate(raw_entries):
        where = f"entry {index + 1}"
        if not isinstance(item, Mapping):
            errors.append(f"{where}: must be an object")
            continue
        kind, rule = item.get("kind"), item.get("rule")
        old, new = item.get("from", []), item.get("to", [])
        if kind not in KINDS:
            errors.append(f"{where}: kind must be one of {', '.join(KINDS)}")
            continue
        if not (isinstance(old, list) and all(isinstance(k, str) for k in old)):
            errors.append(f"{where}: 'from' must be a list of criterion keys")
            continue
        if not (isinstance(new, list) and all(isinstance(k, str) for k in new)):
            errors.append(f"{where}: 'to' must be a list of criterion keys")
            continue
        if rule in (None, ""):
            rule = KIND_RULES[kind][0]
        if rule not in RULES:
            errors.append(f"{where}: rule must be one of {', '.join(RULES)}")
            continue
        entries.append(Entry(kind, tuple(old), tuple(new), rule))
    return number, entries, errors


def _entry_errors(entry: Entry, where: str) -> list[str]:
    errors = []
    n_old, n_new = len(entry.old), len(entry.new)
    shape = {
        "same": n_old == 1 and n_new == 1 and entry.old == entry.new,
        "renamed": n_old == 1 and n_new == 1 and entry.old != entry.new,
        "split": n_old == 1 and n_new >= 2,
        "merged": n_old >= 2 and n_new == 1,
        "dropped": n_old == 1 and n_new == 0,
        "new": n_old == 0 and n_new == 1,
    }[entry.kind]
    if not shape:
        errors.append(
            {
                "same": f"{where}: 'same' maps one criterion to the one with the same key",
                "renamed": f"{where}: 'renamed' maps one criterion to one with another key",
                "split": f"{where}: 'split' maps one criterion to two or more",
                "merged": f"{where}: 'merged' maps two or more criteria to one",
                "dropped": f"{where}: 'dropped' names one old criterion and no new one",
                "new": f"{where}: 'new' names one new criterion and no old one",
            }[entry.kind]
        )
    if entry.rule not in KIND_RULES[entry.kind]:
        allowed = " or ".join(RULE_LABELS[r] for r in KIND_RULES[entry.kind])
        errors.append(f"{where}: a {KIND_LABELS[entry.kind]} criterion takes {allowed}")
    return errors


def validate(
    entries: Sequence[Entry], old_criteria: Iterable[CriterionInfo], new_criteria: Iterable[CriterionInfo]
) -> list[str]:
    """Why ``entries`` cannot map ``old_criteria`` onto ``new_criteria`` (empty: they can)."""
    old = {c.key: c for c in old_criteria}
    new = {c.key: c for c in new_criteria}
    errors: list[str] = []
    seen_old: dict[str, int] = {}
    seen_new: dict[str, int] = {}
    for index, entry in enumerate(entries):
        where = f"entry {index + 1}"
        errors += _entry_errors(entry, where)
        for keys, criteria, seen, version in (
            (entry.old, old, seen_old, "the version mapped from"),
            (entry.new, new, seen_new, "this version"),
        ):
            for key in keys:
                if key not in criteria:
                    errors.append(f"{where}: {key!r} is not a criterion of {version}")
                elif key in seen:
                    errors.append(f"{where}: {key!r} is already mapped by entry {seen[key] + 1}")
                seen.setdefault(key, index)
        kinds = {old[k].per_party for k in entry.old if k in old} | {new[k].per_party for k in entry.new if k in new}
        if len(kinds) > 1:
            errors.append(f"{where}: a criterion scored per party cannot map onto one scored once for the deal")
    return errors


def complete(
    entries: Sequence[Entry], old_criteria: Iterable[CriterionInfo], new_criteria: Iterable[CriterionInfo]
) -> Crosswalk:
    """The entries with the implicit ones added: an old criterion nobody mapped keeps its key if the new
    version has it (same, copy), or is dropped; a new criterion nobody mapped is new. Entries
    must be valid (``validate``); an implicit ``same`` across per-party and per-deal is dropped + new."""
    old = {c.key: c for c in old_criteria}
    new = {c.key: c for c in new_criteria}
    mapped_old = {k for e in entries for k in e.old}
    mapped_new = {k for e in entries for k in e.new}
    result = [replace(e, per_party=(old[e.old[0]] if e.old else new[e.new[0]]).per_party) for e in entries]
    for key, criterion in old.items():
        if key in mapped_old:
            continue
        target = new.get(key)
        if target is not None and key not in mapped_new and target.per_party == criterion.per_party:
            result.append(Entry("same", (key,), (key,), "copy", criterion.per_party))
            mapped_new.add(key)
        else:
            result.append(Entry("dropped", (key,), (), "unscored", criterion.per_party))
    for key, criterion in new.items():
        if key not in mapped_new:
            result.append(Entry("new", (), (key,), "unscored", criterion.per_party))
    return Crosswalk(tuple(result))


def _combine(rule: str, values: Sequence[int]) -> int:
    if rule == "max":
        return max(values)
    if rule == "average":
        mean = Decimal(sum(values)) / Decimal(len(values))
        return int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return values[0]  # copy: one old criterion


def carry(
    crosswalk: Crosswalk, scores: Mapping[str, int], *, scale: tuple[int, int], per_party: bool | None = None
) -> Carried:
    """Carry one party's (or, ``per_party`` False, the deal's) ``scores`` (old key -> value) across
    ``crosswalk``; ``per_party`` None takes every entry."""
    result = Carried()
    low, high = scale
    for entry in crosswalk.entries:
        if per_party is not None and entry.per_party is not None and entry.per_party != per_party:
            continue
        present = [scores[k] for k in entry.old if k in scores]
        if entry.kind == "dropped":
            if present:
                result.not_carried.append((entry.old[0], "dropped by the new version"))
            continue
        for key in entry.new:
            if entry.kind == "new":
                result.not_carried.append((key, "new criterion: to be scored"))
            elif entry.rule == "unscored":
                result.not_carried.append((key, "left unscored by the crosswalk"))
            elif not present:
                result.not_carried.append((key, "no score to carry"))
            else:
                value = _combine(entry.rule, present)
                if low <= value <= high:
                    result.values[key] = value
                    result.how[key] = (entry.kind, entry.rule, entry.old)
                else:
                    result.not_carried.append((key, f"carried value {value} is outside the scale {low} to {high}"))
    return result


def carry_chain(
    chain: Sequence[tuple[Crosswalk, tuple[int, int]]], scores: Mapping[str, int], *, per_party: bool | None = None
) -> Carried:
    """Carry ``scores`` across successive crosswalks (each with its new version's scale). What is
    carried and how is reported against the last version; ``how`` names the first version's keys."""
    if not chain:
        return Carried(values=dict(scores), how={key: ("same", "copy", (key,)) for key in scores})
    current: Carried = Carried(values=dict(scores))
    origins: dict[str, tuple[str, ...]] = {k: (k,) for k in scores}
    for crosswalk, scale in chain:
        step = carry(crosswalk, current.values, scale=scale, per_party=per_party)
        step.how = {
            key: (kind, rule, tuple(dict.fromkeys(o for k in old for o in origins.get(k, (k,)))))
            for key, (kind, rule, old) in step.how.items()
        }
        # A criterion dropped at an earlier step is reported once, under the key it was dropped as.
        step.not_carried = [*[nc for nc in current.not_carried if nc[1].startswith("dropped")], *step.not_carried]
        origins = {key: old for key, (_, _, old) in step.how.items()}
        current = step
    return current


@dataclass(frozen=True)
class VersionInfo:
    """What the crosswalk needs of a rubric version."""

    number: int
    scale: tuple[int, int]
    criteria: tuple[CriterionInfo, ...]
    crosswalk: Mapping = field(default_factory=dict)


def version_crosswalk(version: VersionInfo, previous: VersionInfo) -> Crosswalk:
    """``version``'s crosswalk from ``previous``, completed; by key when it has none from ``previous``
    (or when what is stored no longer validates, which a frozen version's cannot)."""
    number, entries, errors = parse(version.crosswalk)
    if number != previous.number or errors or validate(entries, previous.criteria, version.criteria):
        entries = []
    return complete(entries, previous.criteria, version.criteria)


def chain(versions: Mapping[int, VersionInfo], start: int, end: int) -> list[tuple[Crosswalk, tuple[int, int]]]:
    """The crosswalks that carry scores given under version ``start`` to version ``end`` (of one rubric):
    each version's crosswalk names the one it maps from; where that path does not lead back to
    ``start``, the scores are carried by key in one step. Empty when ``start`` is ``end``."""
    if start == end:
        return []
    steps: list[tuple[Crosswalk, tuple[int, int]]] = []
    current = versions[end]
    while current.number != start:
        number, _, _ = parse(current.crosswalk)
        previous = versions.get(number) if number is not None and start <= number < current.number else None
        if previous is None:
            return [(complete([], versions[start].criteria, versions[end].criteria), versions[end].scale)]
        steps.append((version_crosswalk(current, previous), current.scale))
        current = previous
    return steps[::-1]
