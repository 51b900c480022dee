"""The newsroom's roles as Django groups (DESIGN.md, "Who uses it")."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_MODELS = {
    "cases": ["organization", "case", "party", "source", "timelineevent", "tag"],
    "evaluations": ["evaluation", "evaluationversion", "score", "annotation"],
}
EDITOR_EXTRA = [("evaluations", "submit_evaluationversion")]
REVIEWER_EXTRA = [("evaluations", "publish_evaluationversion")]


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(pairs):
        return [Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in pairs]

    editor = [
        (app, f"{action}_{model}")
        for app, models in EDITOR_MODELS.items()
        for model in models
        for action in ("add", "change", "view")
    ] + EDITOR_EXTRA
    editor += [("evaluations", "view_risksummary"), ("evaluations", "view_auditentry"), ("cases", "view_dealtype")]
    groups = {
        "Editors": perms(editor),
        "Reviewers": perms(editor + REVIEWER_EXTRA),
        "Admins": list(Permission.objects.all()),
    }
    for name, permissions in groups.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cases", "0002_deal_types"),
        ("evaluations", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
