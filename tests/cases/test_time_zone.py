"""Times on reader pages name the zone they are shown in (TIME_ZONE), not a fixed "UTC"."""

from __future__ import annotations

import pytest
from django.utils import timezone

from evaluations.models import RiskSummary

COLOSSUS = "xai-anthropic-colossus-1"


@pytest.mark.parametrize("path", ["/cases/{slug}/history/", "/cases/{slug}/versions/1/", "/cases/{slug}/"])
def test_times_name_the_configured_zone(demo, client, settings, path):
    settings.TIME_ZONE = "Asia/Tokyo"
    RiskSummary.objects.filter(case__slug=COLOSSUS).update(stale=True, stale_since=timezone.now())
    page = client.get(path.format(slug=COLOSSUS)).content.decode()
    assert "UTC" not in page
    assert "JST" in page  # the zone's own name for its time


def test_utc_is_named_when_it_is_the_zone(demo, client, settings):
    settings.TIME_ZONE = "UTC"
    assert "UTC</time>" in client.get(f"/cases/{COLOSSUS}/history/").content.decode()
