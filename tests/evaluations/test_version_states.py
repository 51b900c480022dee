"""Which evaluation-version states are open and which are frozen: stated once, on the model."""

from __future__ import annotations

from importlib import import_module

from evaluations.models import EvaluationVersion

State = EvaluationVersion.State


def test_every_state_is_either_open_or_frozen_or_discarded():
    # A discarded draft is neither: out of the works, never public, kept only on the desk's record.
    assert set(State) == EvaluationVersion.OPEN_STATES | EvaluationVersion.FROZEN_STATES | {State.DISCARDED}
    assert not EvaluationVersion.OPEN_STATES & EvaluationVersion.FROZEN_STATES
    assert State.DISCARDED not in EvaluationVersion.OPEN_STATES | EvaluationVersion.FROZEN_STATES
    assert EvaluationVersion.PUBLIC_STATES == EvaluationVersion.FROZEN_STATES


def test_the_properties_read_the_sets():
    for state in State:
        version = EvaluationVersion(state=state)
        assert version.is_open == (state in {State.DRAFT, State.IN_REVIEW, State.SCHEDULED})
        assert version.is_frozen == version.is_public == (not version.is_open and state != State.DISCARDED)


def test_the_constraints_and_the_triggers_name_the_same_states():
    constraints = {c.name: c for c in EvaluationVersion._meta.constraints}
    (lookup, states) = constraints["evaluation_version_one_open_per_case"].condition.children[0]
    assert lookup == "state__in" and set(states) == EvaluationVersion.OPEN_STATES
    # The migration's SQL keeps its own copy (a migration imports nothing from the app): it must agree.
    migration = import_module("evaluations.migrations.0006_immutable_record")
    assert "(" + ", ".join(f"'{s}'" for s in sorted(EvaluationVersion.FROZEN_STATES)) + ")" == migration.FROZEN
