"""The newsroom's roles as Django groups (DESIGN.md, "Who uses it").

Created by migration 0002, and again after any ``migrate`` or ``flush`` that
leaves a group missing (a ``post_migrate`` handler), so that emptying the
database never leaves the site without its roles. An existing group is left
as an admin may have changed it.
"""

from __future__ import annotations

from django.contrib.auth.management import create_permissions

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
REVIEWER_EXTRA = [("evaluations", "publish_evaluationversion"), ("evaluations", "discard_evaluationversion")]


def groups_ensure(apps) -> None:
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
