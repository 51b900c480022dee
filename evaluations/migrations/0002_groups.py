"""The newsroom's roles as Django groups (the table lives in evaluations/roles.py)."""

from django.db import migrations

from evaluations.roles import groups_ensure


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
