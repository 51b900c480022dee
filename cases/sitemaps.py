"""The sitemap: published cases, organizations in them, public rubric versions."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.urls import reverse

from cases import selectors
from cases.models import Case
from evaluations.models import RubricVersion


class Sitemap(DjangoSitemap):
    """Locations on SITE_URL, whatever Host the request named."""

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None) -> str:
        parts = urlsplit(settings.SITE_URL)
        return parts.netloc + parts.path.rstrip("/")


class CaseSitemap(Sitemap):
    changefreq = "weekly"
    limit = 10_000

    def items(self):
        return Case.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, item: Case):
        return item.updated_at


class OrganizationSitemap(Sitemap):
    changefreq = "weekly"
    limit = 10_000

    def items(self):
        return selectors.organization_list_published().only("slug").order_by("pk")


class RubricVersionSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return selectors.rubric_versions_public()

    def location(self, item: RubricVersion) -> str:
        return reverse("rubric-version", kwargs={"rubric_slug": item.rubric.slug, "number": item.number})


SITEMAPS = {"cases": CaseSitemap, "organizations": OrganizationSitemap, "rubric": RubricVersionSitemap}
