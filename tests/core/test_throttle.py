"""The API throttles count the address core.throttle.client_ip gives, not one the client picks."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _anon_limit() -> int:
    # The configured rate ("120/min" by default), not a number chosen for the test.
    count, period = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"].split("/")
    assert period.startswith("m")
    return int(count)


def test_a_new_x_forwarded_for_per_request_is_not_a_new_client(settings):
    settings.BEHIND_PROXY = False
    limit = _anon_limit()
    client = APIClient()
    statuses = [
        client.get(
            "/api/v1/rubrics/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{i % 250}, 10.{i}.0.1"
        ).status_code
        for i in range(limit + 30)
    ]
    assert statuses[:limit] == [200] * limit
    assert statuses[limit:] == [429] * 30


def test_behind_the_proxy_only_the_part_it_appended_counts(settings):
    settings.BEHIND_PROXY = True
    limit = _anon_limit()
    client = APIClient()
    # The client forges the left part; our proxy appends the address it saw (the same one each time).
    statuses = [
        client.get(
            "/api/v1/rubrics/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=f"203.0.113.{i % 250}, 192.0.2.7"
        ).status_code
        for i in range(limit + 1)
    ]
    assert statuses[-1] == 429
    # Another real client behind the same proxy has its own budget.
    other = client.get("/api/v1/rubrics/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="192.0.2.8")
    assert other.status_code == 200
