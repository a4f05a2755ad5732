# Usernames become unique regardless of case. Accounts that already differ only in case cannot
# be merged automatically (each may hold roles, bids, ledger entries): the migration stops and
# names them, and an administrator renames one of each pair before migrating again.

import django.db.models.functions.text
from django.db import migrations, models

import procurement.models


def refuse_case_duplicates(apps, schema_editor):
    User = apps.get_model("procurement", "User")
    seen: dict[str, list[str]] = {}
    for username in User.objects.values_list("username", flat=True).iterator():
        seen.setdefault(username.lower(), []).append(username)
    clashes = sorted(names for names in seen.values() if len(names) > 1)
    if clashes:
        raise RuntimeError(
            "Usernames that differ only in case must be renamed before this migration: "
            + "; ".join(", ".join(sorted(names)) for names in clashes)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("procurement", "0004_reviewer_notifications"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", procurement.models.AccountManager()),
            ],
        ),
        migrations.RunPython(refuse_case_duplicates, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("username"),
                name="user_username_ci_unique",
                violation_error_message="A user with that username already exists.",
            ),
        ),
    ]
