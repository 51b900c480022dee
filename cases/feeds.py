"""Atom feeds of published analyses and of corrections, all and per organization."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from cases import selectors
from cases.models import Organization
from core.text import xml_safe
from evaluations.models import EvaluationVersion


def _xml_safe_tree(value):
    if isinstance(value, dict):
        return {key: _xml_safe_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_xml_safe_tree(item) for item in value)
    return xml_safe(value)


class SafeAtom1Feed(Atom1Feed):
    """Atom that any stored string can go into: characters XML cannot carry (a form feed in an
    old title, say) are dropped rather than failing the whole feed."""

    def write(self, outfile, encoding) -> None:
        self.feed = _xml_safe_tree(self.feed)
        self.items = [_xml_safe_tree(item) for item in self.items]
        super().write(outfile, encoding)


class AnalysesFeed(Feed):
    """Every published version (first analyses and later ones), newest first."""

    feed_type = SafeAtom1Feed
    corrections = False
    title = "Moatwatch: newly published analyses"
    subtitle = "Analyses of AI partnership deals as they are published."

    def get_object(self, request: HttpRequest, slug: str | None = None) -> Organization | None:
        if slug is None:
            return None
        try:
            return selectors.organization_detail(slug)
        except Organization.DoesNotExist:
            raise Http404("No such organization.") from None

    def link(self, obj: Organization | None) -> str:
        return obj.get_absolute_url() if obj else reverse("home")

    def items(self, obj: Organization | None):
        return selectors.versions_published_recent(organization=obj, corrections=self.corrections)

    def item_title(self, item: EvaluationVersion) -> str:
        label = "Correction" if item.correction_note else ("Analysis" if item.number == 1 else "Updated analysis")
        return f"{label}: {item.case.title} (version {item.number})"

    def item_description(self, item: EvaluationVersion) -> str:
        # Atom1Feed sends the description as <summary type="html">: a feed reader renders it as
        # HTML. These fields are the editors' plain text, so they go out escaped, shown as typed.
        return escape(item.correction_note if self.corrections else (item.verdict or item.case.summary))

    def item_link(self, item: EvaluationVersion) -> str:
        return reverse("case-version", kwargs={"slug": item.case.slug, "number": item.number})

    def item_pubdate(self, item: EvaluationVersion):
        return item.published_at

    def item_updateddate(self, item: EvaluationVersion):
        return item.published_at

    def item_guid(self, item: EvaluationVersion) -> str:
        return f"moatwatch:{item.case.slug}:v{item.number}"

    item_guid_is_permalink = False


class OrganizationAnalysesFeed(AnalysesFeed):
    def title(self, obj: Organization | None) -> str:
        return self.get_feed_title(obj)

    def get_feed_title(self, obj: Organization | None) -> str:
        return f"{AnalysesFeed.title} involving {obj.name}" if obj else AnalysesFeed.title


class CorrectionsFeed(AnalysesFeed):
    corrections = True
    title = "Moatwatch: corrections"
    subtitle = "Published corrections to analyses of AI partnership deals."


class OrganizationCorrectionsFeed(CorrectionsFeed):
    def title(self, obj: Organization | None) -> str:
        return f"Moatwatch: corrections involving {obj.name}" if obj else CorrectionsFeed.title
