"""Atom feeds of published analyses and of corrections, all and per organization."""

from __future__ import annotations

from typing import Any

from django.contrib.syndication.views import Feed
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.http import urlencode

from cases import selectors
from cases.filters import ChangelogFilter
from cases.models import Organization
from core.http import absolute_url
from core.text import xml_safe
from evaluations import changelog
from evaluations.models import EvaluationVersion
from evaluations.scoring import label


def _xml_safe_tree(value):
    if isinstance(value, dict):
        return {key: _xml_safe_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_xml_safe_tree(item) for item in value)
    return xml_safe(value)


class AtomFeed(Atom1Feed):
    """Atom that any stored string can go into, with a Last-Modified that sees every edit.

    Characters XML cannot carry (a form feed in an old title, say) are dropped
    rather than failing the whole feed. Last-Modified also moves when what an
    entry shows from its case (title, summary) or the feed shows of its
    organization (name) changes, not only when a version is published: a
    conditional GET must never miss an edit."""

    def latest_post_date(self):
        stamps = [item["modified"] for item in self.items if item.get("modified")]
        if self.feed.get("modified"):
            stamps.append(self.feed["modified"])
        if self.items:
            stamps.append(super().latest_post_date())
        return max(stamps) if stamps else super().latest_post_date()

    def write(self, outfile, encoding) -> None:
        self.feed = _xml_safe_tree(self.feed)
        self.items = [_xml_safe_tree(item) for item in self.items]
        super().write(outfile, encoding)


class AnalysesFeed(Feed):
    """Every published version (first analyses and later ones), newest first."""

    feed_type = AtomFeed
    corrections = False
    # Feed reads ``title`` as a string or as a method of obj (the stub says Any): subclasses make it a method.
    title: Any = "Moatwatch: newly published analyses"
    subtitle = "Analyses of AI partnership deals as they are published."
    author_name = "Moatwatch"
    # Where this feed lives: site-wide, or per organization (its slug as the argument).
    url_name = "feed-analyses"
    organization_url_name = "organization-feed"

    def get_object(self, request: HttpRequest, slug: str | None = None) -> Organization | None:
        if slug is None:
            return None
        try:
            return selectors.organization_detail(slug)
        except Organization.DoesNotExist:
            raise Http404("No such organization.") from None

    def link(self, obj: Organization | None) -> str:
        return absolute_url(obj.get_absolute_url() if obj else reverse("home"))

    def author_link(self) -> str:
        return absolute_url(reverse("home"))

    def feed_url(self, obj: Organization | None) -> str:
        if obj is None:
            return absolute_url(reverse(self.url_name))
        return absolute_url(reverse(self.organization_url_name, kwargs={"slug": obj.slug}))

    def feed_guid(self, obj: Organization | None) -> str:
        # The feed's own address: the analyses and the corrections feeds (site-wide and each
        # organization's pair) link to the same page, so the link cannot be their id.
        return self.feed_url(obj)

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
        return absolute_url(reverse("case-version", kwargs={"slug": item.case.slug, "number": item.number}))

    def item_pubdate(self, item: EvaluationVersion):
        return item.published_at

    def item_updateddate(self, item: EvaluationVersion):
        return item.published_at

    def item_extra_kwargs(self, item: EvaluationVersion) -> dict:
        return {"modified": item.case.updated_at}

    def feed_extra_kwargs(self, obj: Organization | None) -> dict:
        return {"modified": obj.updated_at} if obj else {}

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
    url_name = "feed-corrections"
    organization_url_name = "organization-corrections-feed"
    title: Any = "Moatwatch: corrections"
    subtitle = "Published corrections to analyses of AI partnership deals."


class OrganizationCorrectionsFeed(CorrectionsFeed):
    def title(self, obj: Organization | None) -> str:
        return f"Moatwatch: corrections involving {obj.name}" if obj else CorrectionsFeed.title


def _shown(value: object) -> str:
    return "not scored" if value is None else str(value)


class ChangesFeed(Feed):
    """The changelog as Atom: each published version after a case's first, with what moved.

    Takes the changelog page's filters (organization, case, period) from the URL.
    """

    feed_type = AtomFeed
    title = "Moatwatch: what changed in our assessments"
    subtitle = "Corrections, updates and re-evaluations of published analyses, with the scores that moved."
    author_name = "Moatwatch"

    def get_object(self, request: HttpRequest) -> ChangelogFilter:
        filterset = ChangelogFilter(request.GET, queryset=selectors.changelog_versions())
        if not filterset.is_valid():
            raise BadRequest("; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()))
        return filterset

    def link(self) -> str:
        return absolute_url(reverse("changelog"))

    def author_link(self) -> str:
        return absolute_url(reverse("home"))

    def feed_url(self) -> str:
        return absolute_url(reverse("feed-changes"))

    def items(self, obj: ChangelogFilter) -> list[changelog.Entry]:
        return selectors.changelog_entries(obj.qs.only("id", "case_id")[:50])

    def item_title(self, item: changelog.Entry) -> str:
        v, p = item.version, item.previous
        return f"{item.kind_label}: {v.case.title} (version {p.number} → {v.number})"

    def item_description(self, item: changelog.Entry) -> str:
        # Sent as <summary type="html">: the editors' plain text goes out escaped.
        lines = [escape(item.note)] if item.note else []
        before, after = item.before, item.after
        lines.append(
            escape(
                f"Risk index {_shown(before.risk_index)} → {_shown(after.risk_index)}; the deal: "
                f"{label(before.classification) or 'unclassified'} → {label(after.classification) or 'unclassified'}."
            )
        )
        if item.moves:
            moved = ", ".join(
                f"{label(m.criterion)} ({m.party}) {_shown(m.before)} → {_shown(m.after)}" for m in item.moves
            )
            lines.append(escape(f"Scores that moved: {moved}."))
        return "<br>".join(lines)

    def item_link(self, item: changelog.Entry) -> str:
        url = reverse("changelog") + "?" + urlencode({"case": item.version.case.slug})
        return absolute_url(f"{url}#{item.anchor}")

    def item_pubdate(self, item: changelog.Entry):
        return item.version.published_at

    def item_updateddate(self, item: changelog.Entry):
        return item.version.published_at

    def item_extra_kwargs(self, item: changelog.Entry) -> dict:
        return {"modified": item.version.case.updated_at}

    def item_guid(self, item: changelog.Entry) -> str:
        return f"moatwatch:change:{item.version.case.slug}:v{item.version.number}"

    item_guid_is_permalink = False
