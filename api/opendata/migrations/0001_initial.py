import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tenders", "0013_ocdsrelease_moves_to_opendata"),
    ]

    # The table was created by the tenders app (0001) and keeps its name: open data only takes
    # the model over, so no row moves and nothing is rebuilt.
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="OcdsRelease",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("ocid", models.CharField(db_index=True, max_length=64)),
                        ("release_id", models.CharField(max_length=128, unique=True)),
                        ("date", models.DateTimeField()),
                        ("tag", models.JSONField()),
                        ("ledger_seq", models.BigIntegerField(unique=True)),
                        ("data", models.JSONField()),
                        ("tender", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="releases", to="tenders.tender")),
                    ],
                    options={
                        "db_table": "tenders_ocdsrelease",
                        "ordering": ["ledger_seq"],
                    },
                ),
            ],
        ),
    ]
