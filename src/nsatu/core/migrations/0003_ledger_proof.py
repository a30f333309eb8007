"""Events record the state they produce and the record's code; signed checkpoints; stricter triggers.

Adding columns makes SQLite rebuild the event table, which drops its triggers:
they are installed again at the end, now refusing a replacing INSERT and, on
PostgreSQL, TRUNCATE as well.
"""

from typing import Any

from django.db import migrations, models

from nsatu.core import triggers


def install(apps: Any, schema_editor: Any) -> None:
    triggers.install(schema_editor.connection)


def remove(apps: Any, schema_editor: Any) -> None:
    triggers.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_ledger_triggers")]
    operations = [
        migrations.RunPython(remove, install),
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveBigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("time", models.DateTimeField()),
                ("public_key", models.CharField(max_length=64)),
                ("signature", models.CharField(max_length=128)),
            ],
            options={"ordering": ["seq", "pk"]},
        ),
        migrations.AddField(
            model_name="event", name="code", field=models.CharField(blank=True, default="", max_length=64)
        ),
        migrations.AddField(
            model_name="event", name="state", field=models.CharField(blank=True, default="", max_length=64)
        ),
        migrations.AddIndex(
            model_name="event", index=models.Index(fields=["code"], name="core_event_code_b37a14_idx")
        ),
        migrations.RunPython(install, remove),
    ]
