"""The one write of a source's excerpt: the text an editor pasted, kept so that quotes stay checkable.

Separate from ``source_update`` on purpose: the desk's and the API's source
forms do not carry the excerpt, so saving them leaves it as it is.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import Case, Source
from core.text import text_errors
from evaluations import policy


@transaction.atomic
def source_excerpt_set(*, source: Source, by: User, excerpt: str) -> Source:
    """Keep ``excerpt`` on the source. Refused once the case is published: its sources are on the record."""
    policy.check(by, "source.edit")
    source = Source.objects.select_for_update().select_related("case").get(pk=source.pk)
    if source.case.is_published:
        raise ValidationError({"excerpt": ["the case is published: its sources' text stays as it was reviewed"]})
    source.excerpt = excerpt
    errors = text_errors(source)
    if errors:
        raise ValidationError(errors)
    source.save(update_fields=["excerpt"])
    Case.objects.filter(pk=source.case_id).update(updated_at=timezone.now())
    return source
