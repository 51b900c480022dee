"""Email alerts on the embedded default (tasks in-process): double opt-in, matching, digests from
published content only, one-click unsubscribe, preferences, throttling, and the address kept private."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts import services
from alerts.models import Notice, Subscriber, Subscription
from cases.models import Case
from evaluations.backup import backup_rows
from tests.support.content import COLOSSUS, SECRET

pytestmark = pytest.mark.django_db

ADDRESS = "reader@example.org"
LINK = re.compile(r"https?://[^\s/]+(/alerts/[a-z]+/[^\s/]+/)")


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.ALERTS_SUBSCRIBE_IP_LIMIT = 5
    settings.ALERTS_SUBSCRIBE_ADDRESS_LIMIT = 2


def subscribe(client, email=ADDRESS, *, ip="10.0.0.1", **fields):
    data = {"email": email, "topic": "all", "frequency": "immediate", "consent": "on", **fields}
    return client.post(reverse("alerts-subscribe"), data, REMOTE_ADDR=ip)


def link_in(message, kind: str) -> str:
    paths = [path for path in LINK.findall(message.body) if path.startswith(f"/alerts/{kind}/")]
    assert paths, message.body
    return paths[0]


def subscribed(client, mailoutbox, capture, email=ADDRESS, **fields) -> Subscriber:
    with capture(execute=True):
        assert subscribe(client, email, **fields).status_code == 200
    confirm = link_in(mailoutbox[-1], "confirm")
    assert client.post(confirm).status_code == 200
    return Subscriber.objects.get(email=email)


def test_nothing_is_stored_until_the_link_in_the_mail_is_followed(
    client, demo, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, "Reader@Example.org", topic="organization", organization="anthropic")
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert Subscriber.objects.count() == 0
    (message,) = mailoutbox
    assert message.to == [ADDRESS] and "Anthropic" in message.body
    confirm = link_in(message, "confirm")
    page = client.get(confirm)  # a mail scanner following the link agrees to nothing
    assert page.status_code == 200 and Subscriber.objects.count() == 0
    assert client.post(confirm).status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.email == ADDRESS and subscriber.consented_at
    (subscription,) = subscriber.subscriptions.all()
    assert subscription.kind == "organization" and subscription.organization.slug == "anthropic"


def test_the_form_says_the_same_whether_or_not_the_address_is_subscribed(
    client, demo, mailoutbox, django_capture_on_commit_callbacks
):
    subscribed(client, mailoutbox, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        known = subscribe(client, ADDRESS, ip="10.0.0.2")
        unknown = subscribe(client, "stranger@example.org", ip="10.0.0.3")
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert known.headers.keys() == unknown.headers.keys()
    assert len(mailoutbox) == 3  # the same thing happens for both: a confirmation link is mailed


def test_bad_input_is_a_form_error_not_a_500(client, demo):
    for n, data in enumerate(
        [
            {"email": "not-an-address", "topic": "all", "frequency": "immediate", "consent": "on"},
            {"email": ADDRESS, "topic": "organization", "frequency": "immediate", "consent": "on"},
            {
                "email": ADDRESS,
                "topic": "organization",
                "organization": "secretco",
                "frequency": "immediate",
                "consent": "on",
            },
            {"email": ADDRESS, "topic": "all", "frequency": "hourly", "consent": "on"},
            {"email": ADDRESS, "topic": "all", "frequency": "immediate"},  # no consent
            {"email": "a\x00@example.org", "topic": "all", "frequency": "immediate", "consent": "on"},
        ]
    ):
        response = client.post(reverse("alerts-subscribe"), data, REMOTE_ADDR=f"10.2.0.{n}")
        assert response.status_code == 400, data
    assert Subscriber.objects.count() == 0


def test_the_subscribe_form_is_throttled_per_client_address(
    client, demo, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            assert subscribe(client, f"r{n}@example.org", ip="10.9.9.9").status_code == 200
        refused = subscribe(client, "r9@example.org", ip="10.9.9.9")
        other = subscribe(client, "r9@example.org", ip="10.9.9.10")
    assert refused.status_code == 429
    assert other.status_code == 200
    assert len(mailoutbox) == 6


def test_the_throttle_uses_the_proxy_address_behind_a_proxy(client, demo, settings):
    settings.BEHIND_PROXY = True
    for n in range(5):
        client.post(
            reverse("alerts-subscribe"), {"email": "x"}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"1.1.1.{n}"
        )
    # Five different clients behind one proxy: none is over its limit.
    assert client.post(reverse("alerts-subscribe"), {"email": "x"}, HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 400


def test_one_address_gets_few_confirmation_mails_and_the_page_does_not_tell(
    client, demo, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answers = [subscribe(client, ADDRESS, ip=f"10.1.0.{n}") for n in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert len({a.content for a in answers}) == 1
    assert len(mailoutbox) == 2


def test_tampered_and_expired_links_are_refused(client, demo, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client)
    confirm = link_in(mailoutbox[0], "confirm")
    assert client.post(confirm.replace("/confirm/", "/confirm/x")).status_code == 404
    assert client.get("/alerts/preferences/nonsense/").status_code == 404
    assert client.post("/alerts/unsubscribe/nonsense/").status_code == 404
    later = timezone.now().timestamp() + 4 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert client.post(confirm).status_code == 404
    assert Subscriber.objects.count() == 0


def publish_and_scan(capture, publish, **kwargs):
    with capture(execute=True):
        version = publish(**kwargs)
    with capture(execute=True):
        services.alerts_scan()
    return version


def test_a_digest_carries_the_matching_published_version_and_nothing_unpublished(
    client,
    demo,
    mailoutbox,
    django_capture_on_commit_callbacks,
    draft_case,
    publish_second_version,
    unpublished_version,
):
    capture = django_capture_on_commit_callbacks
    subscriber = subscribed(client, mailoutbox, capture, topic="organization", organization="anthropic")
    outsider = subscribed(
        client, mailoutbox, capture, "meta-watcher@example.org", topic="organization", organization="meta"
    )
    unpublished_version("in_review", slug="amazon-anthropic")  # names Anthropic, with SECRET in it
    mailoutbox.clear()
    version = publish_and_scan(capture, publish_second_version, note="The lease is 300 MW.")

    (digest,) = mailoutbox
    assert digest.to == [ADDRESS]
    text = digest.body + digest.alternatives[0].content
    assert Case.objects.get(slug=COLOSSUS).title in text
    assert f"/cases/{COLOSSUS}/versions/{version.number}/" in text
    assert "CORRECTION" in digest.body and "The lease is 300 MW." in text
    assert SECRET not in text.lower() and draft_case.title not in text
    assert "amazon-anthropic" not in text
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https?://[^>]+/alerts/unsubscribe/[^>]+/>", digest.extra_headers["List-Unsubscribe"])
    assert link_in(digest, "preferences")
    assert not Notice.objects.filter(subscriber=outsider).exists()

    # Scanning again owes nothing again.
    with capture(execute=True):
        assert services.alerts_scan() == 0
    assert len(mailoutbox) == 1
    assert Notice.objects.filter(subscriber=subscriber, sent_at__isnull=False).count() == 1


def test_what_was_published_before_consent_is_not_sent(client, demo, mailoutbox, django_capture_on_commit_callbacks):
    subscribed(client, mailoutbox, django_capture_on_commit_callbacks)  # all; the demo's versions are older
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.alerts_scan()
    assert mailoutbox == []


def test_tag_and_deal_type_subscriptions_match(
    client, demo, mailoutbox, django_capture_on_commit_callbacks, publish_second_version
):
    capture = django_capture_on_commit_callbacks
    subscribed(client, mailoutbox, capture, "leases@example.org", topic="deal_type", deal_type="compute_lease")
    subscribed(client, mailoutbox, capture, "chips@example.org", topic="deal_type", deal_type="chip_supply")
    mailoutbox.clear()
    publish_and_scan(capture, publish_second_version)
    assert [m.to for m in mailoutbox] == [["leases@example.org"]]


def test_weekly_subscribers_get_one_digest_a_week(
    client, demo, mailoutbox, django_capture_on_commit_callbacks, publish_second_version
):
    capture = django_capture_on_commit_callbacks
    subscriber = subscribed(client, mailoutbox, capture, frequency="weekly")
    mailoutbox.clear()
    publish_and_scan(capture, publish_second_version)
    assert mailoutbox == []  # not immediately
    with capture(execute=True):
        assert services.alert_digests_weekly() == 0  # consented less than a week ago
    Subscriber.objects.filter(pk=subscriber.pk).update(consented_at=timezone.now() - timedelta(days=8))
    with capture(execute=True):
        assert services.alert_digests_weekly() == 1
    (digest,) = mailoutbox
    assert "This week on Moatwatch" in digest.body
    with capture(execute=True):
        assert services.alert_digests_weekly() == 0


def test_one_click_unsubscribe_takes_one_post_without_a_csrf_token(
    client, demo, mailoutbox, django_capture_on_commit_callbacks, publish_second_version
):
    capture = django_capture_on_commit_callbacks
    subscribed(client, mailoutbox, capture)
    publish_and_scan(capture, publish_second_version)
    unsubscribe = re.fullmatch(r"<https?://[^/]+(/[^>]+)>", mailoutbox[-1].extra_headers["List-Unsubscribe"])[1]
    mail_client = Client(enforce_csrf_checks=True)
    assert mail_client.get(unsubscribe).status_code == 200
    assert Subscriber.objects.count() == 1  # a GET (a link scanner) changes nothing
    response = mail_client.post(
        unsubscribe, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Subscriber.objects.count() == Subscription.objects.count() == Notice.objects.count() == 0
    assert (
        mail_client.post(
            unsubscribe, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    assert client.get(unsubscribe.replace("/unsubscribe/", "/preferences/")).status_code == 404


def test_preferences_change_what_is_followed(
    client, demo, mailoutbox, django_capture_on_commit_callbacks, publish_second_version
):
    capture = django_capture_on_commit_callbacks
    subscribed(client, mailoutbox, capture)
    publish_and_scan(capture, publish_second_version)
    preferences = link_in(mailoutbox[-1], "preferences")
    page = client.get(preferences)
    assert page.status_code == 200 and ADDRESS in page.content.decode()
    response = client.post(preferences, {"frequency": "weekly", "organizations": ["openai", "anthropic"], "tags": []})
    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.frequency == "weekly"
    assert sorted(s.organization.slug for s in subscriber.subscriptions.all()) == ["anthropic", "openai"]
    assert client.post(preferences, {"frequency": "weekly", "organizations": ["secretco"]}).status_code == 400


def test_addresses_never_reach_the_api_the_exports_or_the_backups(
    client, demo, mailoutbox, django_capture_on_commit_callbacks
):
    subscribed(client, mailoutbox, django_capture_on_commit_callbacks)
    for url in [
        "/api/v1/export/cases.json",
        "/api/v1/export/cases.csv",
        "/api/v1/schema/?format=json",
        "/api/v1/cases/",
    ]:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert ADDRESS.encode() not in body, url
    assert ADDRESS not in json.dumps(backup_rows(), default=str)


def test_an_admin_exports_and_erases_one_address(client, demo, mailoutbox, django_capture_on_commit_callbacks):
    subscribed(client, mailoutbox, django_capture_on_commit_callbacks, topic="organization", organization="xai")
    out = StringIO()
    call_command("alerts_subscriber", "export", "READER@example.org", stdout=out)
    data = json.loads(out.getvalue())
    assert data["email"] == ADDRESS and data["subscriptions"] == [{"kind": "organization", "target": "xai"}]
    call_command("alerts_subscriber", "erase", ADDRESS, stdout=StringIO())
    assert Subscriber.objects.count() == Subscription.objects.count() == 0
    with pytest.raises(CommandError):
        call_command("alerts_subscriber", "export", ADDRESS, stdout=StringIO())


def test_an_organization_page_links_to_a_prefilled_subscribe_form(client, demo):
    body = client.get(reverse("organization-detail", args=["anthropic"])).content.decode()
    assert 'href="/alerts/?organization=anthropic"' in body
    form = client.get("/alerts/?organization=anthropic").content.decode()
    assert '<option value="anthropic" selected>' in form


def test_the_alerts_send_command_does_what_beat_does(
    client, demo, mailoutbox, django_capture_on_commit_callbacks, publish_second_version
):
    capture = django_capture_on_commit_callbacks
    subscribed(client, mailoutbox, capture)
    with capture(execute=True):
        publish_second_version()
    mailoutbox.clear()
    out = StringIO()
    with capture(execute=True):
        call_command("alerts_send", stdout=out)
    assert re.match(r"Checked \d+ published versions not seen before; 0 weekly digests due", out.getvalue())
    assert len(mailoutbox) == 1
