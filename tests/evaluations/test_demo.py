from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from cases.models import Case, Organization
from evaluations.demo import load_demo
from evaluations.models import EvaluationVersion, RiskSummary, RubricVersion, Score


def _snapshot():
    return (
        Case.objects.count(),
        Organization.objects.count(),
        EvaluationVersion.objects.count(),
        Score.objects.count(),
        list(
            RiskSummary.objects.order_by("case_id").values_list("case_id", "risk_index", "inputs_hash", "computed_at")
        ),
    )


def test_load_demo_loads_sixteen_scored_published_cases(demo):
    assert Case.objects.published().count() == 16
    assert RubricVersion.objects.get().status == RubricVersion.Status.ACTIVE
    assert RiskSummary.objects.filter(stale=False, risk_index__isnull=False).count() == 16
    summary = RiskSummary.objects.get(case__slug="xai-anthropic-colossus-1")
    assert (summary.risk_index, summary.risk_band, summary.classification) == (
        Decimal("82.5"),
        "high",
        "dependency_risk",
    )
    figures = {f.organization.name: f for f in summary.party_figures.select_related("organization")}
    assert figures["Anthropic"].leverage == Decimal("33.9")
    assert figures["xAI"].classification == "temporary_workaround"
    stargate = Case.objects.get(slug="stargate-openai-softbank-oracle-mgx")
    assert stargate.parties.count() == 7
    assert Case.objects.get(slug="google-anthropic").announced_precision == "month"


def test_load_demo_twice_changes_nothing(demo):
    before = _snapshot()
    load_demo()
    assert _snapshot() == before


def test_demo_accounts_are_refused_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("load_demo", "--with-accounts")
    assert not get_user_model().objects.filter(username="editor").exists()


def test_demo_accounts_get_random_passwords_printed_once(db, settings, capsys):
    settings.DEBUG = True
    call_command("load_demo", "--with-accounts")
    first = capsys.readouterr().out
    call_command("load_demo", "--with-accounts")
    second = capsys.readouterr().out
    reviewer = get_user_model().objects.get(username="reviewer")
    assert reviewer.groups.filter(name="Reviewers").exists()
    assert "account reviewer: password " in first
    assert "password unchanged" in second
    password = first.split("account reviewer: password ")[1].split()[0]
    assert reviewer.check_password(password)
