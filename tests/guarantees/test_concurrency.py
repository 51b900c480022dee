"""Many editors saving one draft at once, two reviewers publishing one version at once.

Each thread is its own user with its own database connection; a barrier
releases them together. Optimistic locking (``lock_version``, checked under
``SELECT ... FOR UPDATE`` in the service) must let exactly one save win each
round and hand every other editor a conflict with their own text shown back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.test import Client
from django.utils.html import escape

from cases.models import Case
from core.errors import EditConflict
from evaluations.models import AuditEntry, EvaluationVersion, RiskSummary
from evaluations.services import recompute, workflow
from tests.support.content import COLOSSUS, version_in_review
from tests.support.payloads import version_payload

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serializes writers (one write lock per file), so there is no race to test; "
    "run with DATABASE_URL on PostgreSQL",
)

EDITORS = 8
ROUNDS = 3


def _users(count: int, group: str, prefix: str) -> list:
    users = []
    for index in range(count):
        user = get_user_model().objects.create_user(username=f"{prefix}{index}", password="x-long-password-1")
        user.groups.add(Group.objects.get(name=group))
        users.append(user)
    return users


def _together(calls: list[Callable[[], object]]) -> list[object]:
    """Run ``calls`` in threads released by one barrier; each closes its own connection."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        try:
            barrier.wait(timeout=30)
            return call()
        except Exception as exc:  # returned, so the test can say what each thread got
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _signed_in(users) -> list[Client]:
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


@pytest.fixture
def draft(demo_committed, editor) -> EvaluationVersion:
    return workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)


def test_editors_saving_one_draft_through_the_form_one_wins_each_round(draft):
    clients = _signed_in(_users(EDITORS, "Editors", "writer"))
    url = f"/desk/versions/{draft.pk}/edit/"
    for round_ in range(ROUNDS):
        draft.refresh_from_db()
        loaded = draft.lock_version
        texts = [f"Round {round_}, editor {i}: <b>a paragraph & an hour's work</b>." for i in range(EDITORS)]
        payloads = [version_payload(draft, narrative=text, lock_version=loaded) for text in texts]
        responses = _together([lambda c=c, p=p: c.post(url, p) for c, p in zip(clients, payloads, strict=True)])
        statuses = [getattr(r, "status_code", r) for r in responses]
        assert sorted(statuses) == [302] + [409] * (EDITORS - 1), statuses
        winner = statuses.index(302)
        draft.refresh_from_db()
        assert draft.narrative == texts[winner]
        assert draft.lock_version == loaded + 1
        for index, response in enumerate(responses):
            if index != winner:
                html = response.content.decode()
                assert escape(texts[index]) in html, "a loser's text was not shown back"
                assert "saved by someone else" in html
    assert draft.state == "draft"
    assert draft.scores.count() == len([k for k in version_payload(draft, narrative="") if k.endswith("-value")])


def test_editors_saving_one_draft_through_the_service_one_wins(draft):
    editors = _users(EDITORS, "Editors", "writer")
    loaded = draft.lock_version
    texts = [f"Service save by editor {i}." for i in range(EDITORS)]

    def save(user, text: str) -> EvaluationVersion:
        version = EvaluationVersion.objects.get(pk=draft.pk)
        return workflow.evaluation_version_save(version=version, by=user, expected_lock=loaded, narrative=text)

    results = _together([lambda u=u, t=t: save(u, t) for u, t in zip(editors, texts, strict=True)])
    winners = [r for r in results if isinstance(r, EvaluationVersion)]
    conflicts = [r for r in results if isinstance(r, EditConflict)]
    assert len(winners) == 1 and len(conflicts) == EDITORS - 1, results
    draft.refresh_from_db()
    assert draft.narrative == winners[0].narrative and draft.lock_version == loaded + 1
    assert all(c.current.lock_version == loaded + 1 for c in conflicts)  # each loser is told where it stands


def test_two_reviewers_approving_one_version_publish_it_once(demo_committed, editor, reviewer):
    second = _users(1, "Reviewers", "senior")[0]
    case = Case.objects.get(slug=COLOSSUS)
    previous = EvaluationVersion.objects.get(case=case, state="published")
    version = version_in_review(case.pk, editor, lambda score: min(score.value + 1, 4))
    clients = []
    for user in (reviewer, second):
        client = Client()
        client.force_login(user)
        clients.append(client)
    url = f"/desk/versions/{version.pk}/approve/"
    responses = _together([lambda c=c: c.post(url, {"publish_at": "", "correction_note": ""}) for c in clients])
    assert [getattr(r, "status_code", r) for r in responses] == [302, 302]  # the loser is told, not failed

    version.refresh_from_db()
    previous.refresh_from_db()
    assert version.state == "published" and previous.state == "superseded"
    assert AuditEntry.objects.filter(evaluation_version=version, action="publish").count() == 1
    assert AuditEntry.objects.filter(evaluation_version=previous, action="supersede").count() == 1
    assert EvaluationVersion.objects.filter(case=case, state="published").count() == 1
    summary = RiskSummary.objects.get(case=case)
    assert summary.evaluation_version_id == version.pk and not summary.stale
    # The summary is the one the engine gives for the published scores: recomputing changes nothing.
    assert recompute.risk_summary_recompute(case_id=case.pk) is False


def test_editors_patching_one_draft_through_the_api_one_wins(draft):
    """The API's optimistic lock: everyone sends the ETag they loaded; one 200, the rest 412 with the new ETag."""
    clients = _signed_in(_users(EDITORS, "Editors", "writer"))
    url = f"/api/v1/evaluation-versions/{draft.pk}/"
    loaded = clients[0].get(url)["ETag"]
    texts = [f"API edit by editor {i}." for i in range(EDITORS)]

    def patch(client: Client, text: str):
        return client.patch(url, {"narrative": text}, content_type="application/json", headers={"If-Match": loaded})

    responses = _together([lambda c=c, t=t: patch(c, t) for c, t in zip(clients, texts, strict=True)])
    statuses = [getattr(r, "status_code", r) for r in responses]
    assert sorted(statuses) == [200] + [412] * (EDITORS - 1), statuses
    draft.refresh_from_db()
    assert draft.narrative == texts[statuses.index(200)]
    for response in responses:
        if response.status_code == 412:
            assert response["ETag"] == draft.etag  # what to reload; the client still holds its own text
