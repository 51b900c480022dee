"""The case library: organizations, deals between them, and their sources."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class DatePrecision(models.TextChoices):
    """How much of a date the reporting actually gave (``2023-02`` is a month)."""

    DAY = "day", "day"
    MONTH = "month", "month"
    YEAR = "year", "year"


class Organization(models.Model):
    class Kind(models.TextChoices):
        MODEL_LAB = "model_lab", "model lab"
        CLOUD_PROVIDER = "cloud_provider", "cloud provider"
        CHIP_MAKER = "chip_maker", "chip maker"
        INVESTOR = "investor", "investor"
        PLATFORM = "platform", "platform"
        DATA_CENTER_OPERATOR = "data_center_operator", "data-center operator"
        DATA_PROVIDER = "data_provider", "data provider"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organization-detail", kwargs={"slug": self.slug})


class DealType(models.Model):
    """A kind of deal (compute lease, cloud commitment, ...); a fixed vocabulary."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CaseQuerySet(models.QuerySet):
    def published(self) -> CaseQuerySet:
        """Cases a reader may see: those with a published analysis."""
        return self.filter(status=Case.Status.PUBLISHED)


class Case(models.Model):
    """A deal between AI companies, curated as a case study."""

    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        PUBLISHED = "published", "published"

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.TextField()
    announced_on = models.DateField()
    announced_precision = models.CharField(max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY)
    deal_types = models.ManyToManyField(DealType, related_name="cases", blank=True)
    tags = models.ManyToManyField(Tag, related_name="cases", blank=True)
    value_low_usd = models.BigIntegerField(null=True, blank=True, help_text="Lowest reported value, in US dollars.")
    value_high_usd = models.BigIntegerField(null=True, blank=True, help_text="Highest reported value, in US dollars.")
    value_note = models.TextField(blank=True)
    capacity_mw = models.DecimalField(max_digits=10, decimal_places=1, null=True, blank=True)
    capacity_chips = models.BigIntegerField(null=True, blank=True)
    capacity_note = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    first_published_at = models.DateTimeField(null=True, blank=True)
    is_synthetic = models.BooleanField(default=False, help_text="Generated for benchmarks, not reporting.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    # The case's own facts that editors write, in the order forms and the API show them: the one
    # list the desk's form, the API's serializers and the case services read. The slug, deal
    # types, tags, parties and sources are written beside these, each its own way.
    FACT_FIELDS = (
        "title", "summary", "announced_on", "announced_precision", "value_low_usd", "value_high_usd",
        "value_note", "capacity_mw", "capacity_chips", "capacity_note",
    )  # fmt: skip

    class Meta:
        ordering = ["-announced_on", "-id"]
        indexes = [
            models.Index(fields=["status", "-announced_on", "-id"], name="case_status_announced"),
            models.Index(fields=["status", "title", "id"], name="case_status_title"),
            # The graph's stamp (web_selectors.graph_stamp): the latest change and first publication, by index.
            models.Index(fields=["status", "updated_at"], name="case_status_updated"),
            models.Index(fields=["status", "first_published_at"], name="case_status_first_published"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(value_low_usd__isnull=True)
                | Q(value_high_usd__isnull=True)
                | Q(value_low_usd__lte=F("value_high_usd")),
                name="case_value_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(value_low_usd__isnull=True) | Q(value_low_usd__gte=0), name="case_value_low_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(capacity_mw__isnull=True) | Q(capacity_mw__gte=0), name="case_capacity_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(capacity_chips__isnull=True) | Q(capacity_chips__gte=0), name="case_chips_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("case-detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Party(models.Model):
    """An organization's part in a case."""

    class Role(models.TextChoices):
        PROVIDER = "provider", "provider"
        CUSTOMER = "customer", "customer"
        INVESTOR = "investor", "investor"
        INVESTEE = "investee", "investee"
        LICENSOR = "licensor", "licensor"
        LICENSEE = "licensee", "licensee"
        DISTRIBUTOR = "distributor", "distributor"
        PARTNER = "partner", "partner"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(max_length=16, choices=Role.choices)
    note = models.CharField(max_length=300, blank=True, help_text="Which unit of the organization, if it matters.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["case", "position", "id"]
        verbose_name_plural = "parties"
        # An organization may hold several roles in one deal (investor and customer): one row per role.
        constraints = [
            models.UniqueConstraint(fields=["case", "organization", "role"], name="party_unique_role_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"


class Source(models.Model):
    """A published report a case rests on."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sources")
    publisher = models.CharField(max_length=300)
    title = models.CharField(max_length=500)
    url = models.URLField(max_length=1000)
    published_on = models.DateField(null=True, blank=True)
    published_precision = models.CharField(max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY)
    claim = models.TextField(blank=True, help_text="The claim this source supports.")
    excerpt = models.TextField(
        blank=True, help_text="The source's text as pasted into the worksheet, so that quotes stay checkable."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["case", "position", "id"]

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}"


class TimelineEvent(models.Model):
    class Kind(models.TextChoices):
        ANNOUNCED = "announced", "announced"
        EXPANDED = "expanded", "expanded"
        CLOSED = "closed", "closed"
        TERMINATED = "terminated", "terminated"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_on = models.DateField()
    precision = models.CharField(max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["case", "occurred_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"


class CaseSearchDocument(models.Model):
    """What readers can find a published case by: only published content.

    Kept current by ``cases.search.search_document_refresh``, which the
    services that change a case's content call. ``vector`` is filled on
    PostgreSQL (GIN-indexed there); SQLite searches the text columns.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="search_document")
    title = models.TextField()
    summary = models.TextField(blank=True)
    analysis = models.TextField(blank=True, help_text="The published analysis as plain text, with its verdict.")
    sources = models.TextField(blank=True)
    vector = SearchVectorField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Search document of {self.case_id}"

    @property
    def body(self) -> str:
        return "\n".join(part for part in (self.summary, self.analysis, self.sources) if part)


class SearchTerm(models.Model):
    """A word found in some search document: the vocabulary that typo suggestions are drawn from.

    Words are added by ``cases.search.search_documents_write`` as documents are
    written and never removed; a suggestion is only offered when it finds
    something, so a word that has left every document is never suggested.
    On PostgreSQL a trigram index (``pg_trgm``, when the server has it) finds
    near spellings; elsewhere ``cases.search_index`` compares candidates in Python.
    """

    word = models.CharField(max_length=64, primary_key=True)

    def __str__(self) -> str:
        return self.word


def normalize_organization_name(name: str) -> str:
    """How names and aliases are compared: case-folded, punctuation-insensitive, single spaces."""
    kept = "".join(ch if ch.isalnum() else " " for ch in name.casefold())
    return " ".join(kept.split())


class OrganizationAlias(models.Model):
    """Another name an organization goes by ("AWS" for Amazon), used by matching, search and pickers."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    normalized = models.CharField(max_length=200, unique=True, editable=False)

    class Meta:
        ordering = ["organization", "name"]
        verbose_name_plural = "organization aliases"

    def __str__(self) -> str:
        return f"{self.name} → {self.organization}"


class OrganizationRedirect(models.Model):
    """The slug of an organization merged into another: its old address redirects."""

    old_slug = models.SlugField(max_length=200, unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.old_slug} → {self.organization.slug}"


class OrganizationRelationship(models.Model):
    """A corporate link over time: ``subject`` is a subsidiary of / merged into / controlled by ``parent``.

    Public once ``is_published``; until then only the newsroom sees it, and no
    reader page, graph, figure or API response uses it.
    """

    class Kind(models.TextChoices):
        SUBSIDIARY_OF = "subsidiary_of", "subsidiary of"
        MERGED_INTO = "merged_into", "merged into"
        CONTROLLED_BY = "controlled_by", "controlled by"

    subject = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="relationships_out")
    parent = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="relationships_in")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    started_on = models.DateField()
    started_precision = models.CharField(max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY)
    ended_on = models.DateField(
        null=True, blank=True, help_text="When the link ended (a divestment); empty if current."
    )
    source_publisher = models.CharField(max_length=300)
    source_title = models.CharField(max_length=500)
    source_url = models.URLField(max_length=1000)
    note = models.TextField(blank=True)
    is_published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["subject", "started_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(subject=F("parent")), name="relationship_not_self"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")), name="relationship_dates_ordered"
            ),
            models.UniqueConstraint(fields=["subject", "parent", "kind", "started_on"], name="relationship_unique"),
        ]
        indexes = [models.Index(fields=["is_published", "updated_at"], name="relationship_published")]

    def __str__(self) -> str:
        return f"{self.subject} {self.get_kind_display()} {self.parent}"
