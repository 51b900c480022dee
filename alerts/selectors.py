"""Reads for alerts: what a reader may subscribe to, who a published version concerns, and a digest's items.

Everything a digest shows comes from published cases and public (published or
superseded) versions, checked again when the digest is built.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from alerts.models import Notice, ScannedVersion, Subscriber, Subscription
from cases.models import Case, DealType, Organization, Party, Tag
from evaluations.models import EvaluationVersion


def organizations_subscribable() -> QuerySet[Organization]:
    """Organizations named by a published case (others would give away a deal in the works)."""
    published = Party.objects.filter(organization=OuterRef("pk"), case__status=Case.Status.PUBLISHED)
    return Organization.objects.filter(Exists(published)).order_by("name")


def tags_subscribable() -> QuerySet[Tag]:
    tagged = Case.tags.through.objects.filter(tag=OuterRef("pk"), case__status=Case.Status.PUBLISHED)
    return Tag.objects.filter(Exists(tagged)).order_by("name")


def deal_types_subscribable() -> QuerySet[DealType]:
    return DealType.objects.order_by("name")


def subscriber_by_token(subscriber_id: int, key: str) -> Subscriber | None:
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    return subscriber if subscriber and subscriber.key == key else None


def versions_to_scan() -> QuerySet[EvaluationVersion]:
    """Public versions of published cases, published within the look-back window and not yet matched."""
    since = timezone.now() - timedelta(days=settings.ALERTS_SCAN_LOOKBACK_DAYS)
    return (
        EvaluationVersion.objects.public()
        .filter(case__status=Case.Status.PUBLISHED, published_at__gte=since)
        .exclude(Exists(ScannedVersion.objects.filter(version=OuterRef("pk"))))
        .order_by("published_at", "id")
    )


def subscribers_for_version(version: EvaluationVersion) -> QuerySet[Subscriber]:
    """Subscribers whose subscriptions match the version's case and who had agreed before it was published."""
    case_id = version.case_id
    matching = Subscription.objects.filter(subscriber=OuterRef("pk")).filter(
        Q(kind=Subscription.Kind.ALL)
        | Q(organization__in=Party.objects.filter(case_id=case_id).values("organization_id"))
        | Q(tag__in=Case.tags.through.objects.filter(case_id=case_id).values("tag_id"))
        | Q(deal_type__in=Case.deal_types.through.objects.filter(case_id=case_id).values("dealtype_id"))
    )
    return Subscriber.objects.filter(Exists(matching), consented_at__lte=version.published_at)


def notices_pending(subscriber: Subscriber) -> list[Notice]:
    """What the next digest carries: unsent notices of versions that are public and of published cases."""
    return list(
        Notice.objects.filter(
            subscriber=subscriber,
            sent_at__isnull=True,
            version__state__in=EvaluationVersion.PUBLIC_STATES,
            version__case__status=Case.Status.PUBLISHED,
        )
        .select_related("version__case", "version__evaluation__rubric_version__rubric")
        .order_by("version__published_at", "version_id")
    )


def subscribers_with_pending(frequency: str) -> QuerySet[Subscriber]:
    pending = Notice.objects.filter(subscriber=OuterRef("pk"), sent_at__isnull=True)
    return Subscriber.objects.filter(Exists(pending), frequency=frequency)


def subscribers_weekly_due() -> QuerySet[Subscriber]:
    """Weekly subscribers with something pending whose last digest (or consent) is a week old."""
    week_ago = timezone.now() - timedelta(days=7)
    return subscribers_with_pending(Subscriber.Frequency.WEEKLY).filter(
        Q(last_digest_at__lte=week_ago) | Q(last_digest_at__isnull=True, consented_at__lte=week_ago)
    )


def subscriber_export(email: str) -> dict | None:
    """Everything held about one address (for a subject-access request), or None."""
    subscriber = Subscriber.objects.filter(email=email.strip().lower()).first()
    if subscriber is None:
        return None
    subscriptions = []
    for s in subscriber.subscriptions.select_related("organization", "tag", "deal_type").order_by("id"):
        target = s.organization or s.tag or s.deal_type
        subscriptions.append({"kind": s.kind, "target": target.slug if target else None})
    notices = [
        {
            "case": n.version.case.slug,
            "version": n.version.number,
            "queued_at": n.created_at.isoformat(),
            "sent_at": n.sent_at.isoformat() if n.sent_at else None,
        }
        for n in subscriber.notices.select_related("version__case").order_by("id")
    ]
    return {
        "email": subscriber.email,
        "frequency": subscriber.frequency,
        "consented_at": subscriber.consented_at.isoformat(),
        "created_at": subscriber.created_at.isoformat(),
        "last_digest_at": subscriber.last_digest_at.isoformat() if subscriber.last_digest_at else None,
        "subscriptions": subscriptions,
        "notices": notices,
    }
