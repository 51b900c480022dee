"""The newsroom's roles as Django groups.

A frozen copy of evaluations/roles.py as it stood when this migration was written: the
post_migrate handler there keeps the groups present afterwards; this migration keeps doing
what it did whatever that module becomes.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_MODELS = {
    "cases": ["organization", "case", "party", "source", "timelineevent", "tag"],
    "evaluations": ["evaluation", "evaluationversion", "score", "annotation"],
}
EDITOR_EXTRA = [
    ("evaluations", "submit_evaluationversion"),
    ("evaluations", "view_risksummary"),
    ("evaluations", "view_auditentry"),
    ("cases", "view_dealtype"),
]
REVIEWER_EXTRA = [("evaluations", "publish_evaluationversion")]


def groups_ensure(apps):
    """Create the Editors, Reviewers and Admins groups that do not exist, with their permissions."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    names = ["Editors", "Reviewers", "Admins"]
    if Group.objects.filter(name__in=names).count() == len(names):
        return
    # Permissions are normally created after migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True  # historical apps have none; create_permissions wants one
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    def perms(pairs):
        return [Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in pairs]

    editor = [
        (app, f"{action}_{model}")
        for app, models in EDITOR_MODELS.items()
        for model in models
        for action in ("add", "change", "view")
    ] + EDITOR_EXTRA
    groups = {
        "Editors": lambda: perms(editor),
        "Reviewers": lambda: perms(editor + REVIEWER_EXTRA),
        "Admins": lambda: list(Permission.objects.all()),
    }
    for name, permissions in groups.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            group.permissions.set(permissions())


def create_groups(apps, schema_editor):
    groups_ensure(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cases", "0002_deal_types"),
        ("evaluations", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
