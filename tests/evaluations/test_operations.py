"""Operations: the recompute command and the health endpoint."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.models import Case
from evaluations.models import OrganizationExposure, RiskSummary

COLOSSUS = "xai-anthropic-colossus-1"


def test_recompute_summaries_command_recomputes_everything_with_progress(demo, capsys):
    RiskSummary.objects.update(inputs_hash="", stale=True, stale_since=timezone.now())
    OrganizationExposure.objects.all().delete()
    out = io.StringIO()
    call_command("recompute_summaries", "--batch-size", "5", stdout=out)
    assert "16 summaries checked, 16 rewritten" in out.getvalue()
    progress = capsys.readouterr().err
    assert "summaries [" in progress and "16/16 (100%)" in progress and "exposures [" in progress
    assert not RiskSummary.objects.filter(stale=True).exists()
    assert OrganizationExposure.objects.filter(stale=False).count() > 10


def test_recompute_summaries_one_case_and_force(demo):
    case = Case.objects.get(slug=COLOSSUS)
    out = io.StringIO()
    call_command("recompute_summaries", "--case", COLOSSUS, stdout=out)
    assert "1 summaries checked, 0 rewritten" in out.getvalue()
    before = RiskSummary.objects.get(case=case).computed_at
    call_command("recompute_summaries", "--case", COLOSSUS, "--force", stdout=out)
    assert RiskSummary.objects.get(case=case).computed_at > before
    with pytest.raises(CommandError, match="no case"):
        call_command("recompute_summaries", "--case", "nope")


def test_health_is_200_when_all_is_well(demo, client, settings):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] is True and body["cache"] is True
    assert body["stale_summaries"] == {
        "count": 0,
        "oldest_age_seconds": 0,
        "max_age_seconds": settings.HEALTH_STALE_MAX_SECONDS,
    }
    text = json.dumps(body)
    for secret_ish in ("redis://", "postgres", "password", "SECRET"):
        assert secret_ish not in text


def test_health_is_503_when_a_summary_has_been_stale_too_long(demo, client):
    RiskSummary.objects.filter(case__slug=COLOSSUS).update(stale=True, stale_since=timezone.now() - timedelta(hours=1))
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded" and body["stale_summaries"]["count"] == 1
    assert body["stale_summaries"]["oldest_age_seconds"] >= 3600
    assert body["database"] is True and body["cache"] is True


def test_health_counts_a_backlog_younger_than_the_threshold_as_ok(demo, client, settings):
    settings.HEALTH_STALE_MAX_SECONDS = 300
    young = timezone.now() - timedelta(seconds=200)
    RiskSummary.objects.filter(case__slug=COLOSSUS).update(stale=True, stale_since=young)
    body = client.get("/health/").json()
    assert body["status"] == "ok" and body["stale_summaries"]["count"] == 1
    assert 200 <= body["stale_summaries"]["oldest_age_seconds"] < 300
    # The oldest stale row decides, not the newest: one old row among young ones is a 503.
    others = list(RiskSummary.objects.exclude(case__slug=COLOSSUS).values_list("pk", flat=True)[:3])
    RiskSummary.objects.filter(pk__in=others).update(stale=True, stale_since=timezone.now() - timedelta(seconds=301))
    response = client.get("/health/")
    assert response.status_code == 503 and response.json()["stale_summaries"]["count"] == 4
    assert response.json()["stale_summaries"]["oldest_age_seconds"] >= 301


def test_health_is_503_when_the_broker_is_unreachable(demo, client, settings):
    from config.celery_app import app as celery_app

    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    celery_app.conf.task_always_eager = False
    try:
        response = client.get("/health/")
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous
    assert response.status_code == 503 and response.json()["broker"] is False
    assert response.json()["status"] == "unhealthy"
