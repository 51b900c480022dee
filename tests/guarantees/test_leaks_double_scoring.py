"""Nothing of an unpublished double scoring reaches a reader: not its raw scores, not its settlement
notes, not its differences, not its place in the agreement figures. A draft on the Colossus case is
scored independently, its difference settled with a note holding the secret word; then every reader
page, the public API (case versions, their double scoring, the rubric's agreement, the exports), the
feeds and the sitemap are read, by a visitor and by signed-in newsroom users."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import Case
from evaluations.agreement import rubric_version_agreement
from evaluations.models import Reconciliation, RubricVersion
from evaluations.services import double_scoring as ds
from evaluations.services import workflow
from tests.guarantees.test_leaks import READER_URLS
from tests.support.content import COLOSSUS, SECRET

pytestmark = pytest.mark.django_db

API_URLS = [
    ("api:case-list", {}),
    ("api:case-detail", {"slug": COLOSSUS}),
    ("api:case-versions", {"slug": COLOSSUS}),
    ("api:case-version", {"slug": COLOSSUS, "number": 1}),
    ("api:case-version-double-scoring", {"slug": "microsoft-openai", "number": 1}),
    ("api:rubric-version-agreement", {"slug": "partnership-leverage", "number": 1}),
    ("api:export-csv", {}),
    ("api:export-json", {}),
    ("api:changelog", {}),
]


@pytest.fixture
def settled_draft(demo, editor, editor2, reviewer):
    draft = workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)
    ds.double_scoring_request(version=draft, by=reviewer, first_scorer=editor, second_scorer=editor2)
    rubric_version = draft.evaluation.rubric_version
    parties = list(draft.case.parties.all())
    for scorer, value in ((editor, 0), (editor2, 4)):
        sheet = [ds.RawScoreInput(c.key, p.pk, value) for c in rubric_version.criteria.all() for p in parties]
        ds.double_scoring_submit(version=draft, by=scorer, scores=sheet)
    for reconciliation in Reconciliation.objects.filter(version=draft):
        ds.double_scoring_settle(reconciliation=reconciliation, by=reviewer, value=2, note=f"Because {SECRET}.")
    return draft


def test_an_unpublished_double_scoring_never_reaches_readers(settled_draft, editor, reviewer):
    agreement = rubric_version_agreement(RubricVersion.objects.get(status="active"))
    assert agreement.cases == 1  # the demo's published case only
    for user in (None, editor, reviewer):
        client = Client()
        api = APIClient()
        if user is not None:
            client.force_login(user)
            api.force_authenticate(user)
        for name, kwargs, params in READER_URLS:
            if params:
                continue  # the search form echoes the query; test_leaks covers those pages
            body = client.get(reverse(name, kwargs=kwargs)).content.decode().lower()
            assert SECRET not in body, (user, name)
        colossus = client.get(reverse("case-detail", kwargs={"slug": COLOSSUS})).content.decode()
        assert "Scored independently" not in colossus
        for name, kwargs in API_URLS:
            response = api.get(reverse(name, kwargs=kwargs))
            assert response.status_code == 200, (user, name)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert SECRET not in body.decode().lower(), (user, name)
        missing = api.get(
            reverse("api:case-version-double-scoring", kwargs={"slug": COLOSSUS, "number": settled_draft.number})
        )
        assert missing.status_code == 404
        rubric_page = client.get(reverse("rubric-version", kwargs={"rubric_slug": "partnership-leverage", "number": 1}))
        assert b"1 case</strong>" in rubric_page.content
    # Readers asking for the draft's double scoring by id are told it does not exist.
    api = APIClient()
    assert api.get(reverse("api:version-double-scoring", kwargs={"pk": settled_draft.pk})).status_code == 404
