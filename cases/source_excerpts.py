"""The one write of a source's excerpt: the text an editor pasted, kept so that quotes stay checkable.

Separate from ``source_update`` on purpose: the desk's and the API's source
forms do not carry the excerpt, so saving them leaves it as it is.

Scores quote the excerpt (``evaluations.services.evidence``): changing it
re-anchors the citations of the case's open versions, flagging those whose
quote is gone. Published citations keep their own copy of what they quoted,
so an excerpt may change after publication (to cite more of the source in
the next version) without touching the record.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import Case, Source
from core.text import text_errors
from evaluations import policy
from evaluations.services.evidence import citations_reanchor


@transaction.atomic
def source_excerpt_set(*, source: Source, by: User, excerpt: str) -> Source:
    """Keep ``excerpt`` on the source and re-anchor the open versions' citations of it."""
    policy.check(by, "source.edit")
    source = Source.objects.select_for_update().get(pk=source.pk)
    source.excerpt = excerpt
    errors = text_errors(source, fields=["excerpt"])
    if errors:
        raise ValidationError(errors)
    source.save(update_fields=["excerpt"])
    citations_reanchor(source_id=source.pk, excerpt=source.excerpt)
    Case.objects.filter(pk=source.case_id).update(updated_at=timezone.now())
    return source
