"""Email alerts: readers who asked, by a confirmed link, to hear about new analyses and corrections.

Addresses are personal data. A ``Subscriber`` row exists only once its owner
has followed the confirmation link (double opt-in): until then the address
travels only inside the signed link we mail to it. Unsubscribing deletes the
row and everything hanging off it. Nothing here is in the public API, the
exports or the backups; ``manage.py alerts_subscriber`` exports or erases one
address's data on request.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q


def _new_key() -> str:
    return secrets.token_hex(16)


class Subscriber(models.Model):
    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", "as soon as it is published"
        WEEKLY = "weekly", "a weekly digest"

    email = models.EmailField(max_length=254, unique=True, help_text="Lower-cased.")
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default=Frequency.IMMEDIATE)
    # Part of every link in our emails; a new key voids every link sent before.
    key = models.CharField(max_length=32, default=_new_key)
    consented_at = models.DateTimeField(help_text="When the confirmation link was followed.")
    last_digest_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"subscriber {self.pk}"  # never the address: this ends up in logs


class Subscription(models.Model):
    """What a subscriber wants to hear about: everything, or one organization, tag or deal type."""

    class Kind(models.TextChoices):
        ALL = "all", "all new analyses and corrections"
        ORGANIZATION = "organization", "an organization"
        TAG = "tag", "a tag"
        DEAL_TYPE = "deal_type", "a deal type"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="subscriptions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    organization = models.ForeignKey(
        "cases.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tag = models.ForeignKey("cases.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    deal_type = models.ForeignKey("cases.DealType", null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="all", organization__isnull=True, tag__isnull=True, deal_type__isnull=True)
                    | Q(kind="organization", organization__isnull=False, tag__isnull=True, deal_type__isnull=True)
                    | Q(kind="tag", organization__isnull=True, tag__isnull=False, deal_type__isnull=True)
                    | Q(kind="deal_type", organization__isnull=True, tag__isnull=True, deal_type__isnull=False)
                ),
                name="subscription_target_matches_kind",
            ),
            models.UniqueConstraint(fields=["subscriber"], condition=Q(kind="all"), name="subscription_all_once"),
            models.UniqueConstraint(fields=["subscriber", "organization"], name="subscription_organization_once"),
            models.UniqueConstraint(fields=["subscriber", "tag"], name="subscription_tag_once"),
            models.UniqueConstraint(fields=["subscriber", "deal_type"], name="subscription_deal_type_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} subscription {self.pk}"


class Notice(models.Model):
    """A published version owed to a subscriber, until a digest carries it."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="notices")
    version = models.ForeignKey("evaluations.EvaluationVersion", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "version"], name="notice_once_per_version")]
        indexes = [models.Index(fields=["subscriber", "sent_at"], name="notice_pending")]

    def __str__(self) -> str:
        return f"notice {self.pk}"


class ScannedVersion(models.Model):
    """A published version already matched against the subscriptions (so the scan is idempotent)."""

    version = models.OneToOneField(
        "evaluations.EvaluationVersion", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    scanned_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"scanned {self.version_id}"
