"""What changed between two rubric versions (pure data, for the rubric pages)."""

from __future__ import annotations

from dataclasses import dataclass

from evaluations.models import Criterion, RubricVersion

_COMPARED = ("family", "weight", "per_party", "question", "guidance")


@dataclass(frozen=True)
class CriterionChange:
    key: str
    field: str
    before: object
    after: object


@dataclass(frozen=True)
class RubricChanges:
    added: tuple[Criterion, ...]
    removed: tuple[Criterion, ...]
    changed: tuple[CriterionChange, ...]
    thresholds: tuple[tuple[str, object, object], ...]
    scale_changed: bool

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.thresholds or self.scale_changed)


def _flatten(data: object, prefix: str = "") -> dict[str, object]:
    if isinstance(data, dict):
        flat: dict[str, object] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: data}


def rubric_changes(previous: RubricVersion, version: RubricVersion) -> RubricChanges:
    """Criteria added, removed and changed (by stable key), and threshold changes.

    Reads ``criteria.all()``: prefetch them.
    """
    before = {c.key: c for c in previous.criteria.all()}
    after = {c.key: c for c in version.criteria.all()}
    changed = tuple(
        CriterionChange(key, name, getattr(before[key], name), getattr(after[key], name))
        for key in after
        if key in before
        for name in _COMPARED
        if getattr(before[key], name) != getattr(after[key], name)
    )
    old, new = _flatten(previous.classification), _flatten(version.classification)
    thresholds = tuple(
        (key, old.get(key), new.get(key))
        for key in sorted(set(old) | set(new))
        if key != "rule" and old.get(key) != new.get(key)
    )
    return RubricChanges(
        added=tuple(c for k, c in after.items() if k not in before),
        removed=tuple(c for k, c in before.items() if k not in after),
        changed=changed,
        thresholds=thresholds,
        scale_changed=(previous.scale_min, previous.scale_max) != (version.scale_min, version.scale_max),
    )
