"""The roles survive emptying the database, and an admin's changes to them survive a migrate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command


@pytest.mark.django_db(transaction=True)
def test_flush_leaves_the_roles_in_place():
    call_command("flush", interactive=False, verbosity=0)
    editors = Group.objects.get(name="Editors")
    assert editors.permissions.filter(codename="submit_evaluationversion").exists()
    assert not editors.permissions.filter(codename="publish_evaluationversion").exists()
    assert Group.objects.get(name="Reviewers").permissions.filter(codename="publish_evaluationversion").exists()


@pytest.mark.django_db
def test_migrate_keeps_an_admins_changes_to_a_role():
    editors = Group.objects.get(name="Editors")
    editors.permissions.clear()
    call_command("migrate", verbosity=0)
    assert not editors.permissions.exists()
