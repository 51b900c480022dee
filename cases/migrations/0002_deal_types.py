from django.db import migrations

DEAL_TYPES = [
    ("compute_lease", "compute lease"),
    ("cloud_commitment", "cloud commitment"),
    ("equity_investment", "equity investment"),
    ("licensing_acquihire", "licensing and hiring"),
    ("distribution", "distribution"),
    ("chip_supply", "chip supply"),
    ("joint_venture", "joint venture"),
    ("data_center_build", "data-center build"),
]


def seed(apps, schema_editor):
    DealType = apps.get_model("cases", "DealType")
    for slug, name in DEAL_TYPES:
        DealType.objects.get_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
