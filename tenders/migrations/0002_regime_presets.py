"""Install the legal-regime presets (tenders/regimes.py)."""

from django.db import migrations

from tenders.regimes import install_presets


def load(apps, schema_editor):
    install_presets(apps.get_model("tenders", "LegalRegime"))


class Migration(migrations.Migration):
    dependencies = [("tenders", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
