"""The case's fields are listed once (Case.FACT_FIELDS); every write path takes exactly that list."""

from __future__ import annotations

import dataclasses

from cases.forms import CaseForm
from cases.models import Case
from cases.serializers import CaseListSerializer, CaseWriteSerializer
from cases.services import CaseInput

# Written by the services themselves (status, publication, timestamps) or by generators, or
# beside the facts in a way of their own (slug, deal types, tags).
NOT_FACTS = {"id", "slug", "status", "first_published_at", "is_synthetic", "created_at", "updated_at"}


def test_every_field_an_editor_writes_is_a_fact_field():
    concrete = {f.name for f in Case._meta.concrete_fields}
    assert concrete - NOT_FACTS == set(Case.FACT_FIELDS)
    assert len(set(Case.FACT_FIELDS)) == len(Case.FACT_FIELDS)


def test_the_form_the_api_and_the_service_take_the_same_facts():
    facts = set(Case.FACT_FIELDS)
    assert facts <= set(CaseForm.base_fields)
    assert facts <= set(CaseWriteSerializer().fields)
    assert facts <= {f.name for f in dataclasses.fields(CaseInput)}
    assert facts <= set(CaseListSerializer.Meta.fields)
