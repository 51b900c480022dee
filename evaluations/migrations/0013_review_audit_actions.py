from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('evaluations', '0012_evidence_citation'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('create', 'create'), ('submit', 'submit'), ('send_back', 'send back'), ('schedule', 'schedule'), ('reschedule', 'reschedule'), ('unschedule', 'unschedule'), ('publish', 'publish'), ('supersede', 'supersede'), ('activate', 'activate'), ('retire', 'retire'), ('merge', 'merge'), ('relationship', 'relationship'), ('save', 'save'), ('restore', 'restore'), ('note_add', 'margin note added'), ('note_remove', 'margin note removed'), ('edit', 'edit'), ('withdraw', 'withdraw'), ('discard', 'discard'), ('comment', 'review comment'), ('resolve', 'review comment resolved'), ('assign', 'reviewer assigned'), ('unassign', 'reviewer unassigned')], max_length=16),
        ),
    ]
