"""The ledger's single head row, and on PostgreSQL the triggers that make ledger tables append-only.

The triggers refuse UPDATE and DELETE on entries, nodes and checkpoints, DELETE on the head row,
and TRUNCATE on all four. The one exception is TRUNCATE by a superuser session that has set
``minhbach.ledger_maintenance = on`` (the test suite's flush between tests): a superuser can
disable triggers anyway, so this opens nothing new. What catches a superuser who rewrites
history is the signed checkpoints already published, not the triggers.
"""

from django.db import migrations

GUARDED = ["ledger_entry", "merkle_node", "ledger_checkpoint"]

FUNCTION = """
CREATE OR REPLACE FUNCTION minhbach_ledger_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND current_setting('minhbach.ledger_maintenance', true) = 'on'
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'ledger table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    LedgerHead = apps.get_model("procurement", "LedgerHead")
    LedgerHead.objects.get_or_create(
        pk=1, defaults={"size": 0, "chain_hash": bytes(32), "frontier": b""}
    )
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in GUARDED:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION minhbach_ledger_append_only()"
        )
    for table in [*GUARDED, "ledger_head"]:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION minhbach_ledger_append_only()"
        )
    schema_editor.execute(
        "CREATE TRIGGER ledger_head_no_delete BEFORE DELETE ON ledger_head "
        "FOR EACH ROW EXECUTE FUNCTION minhbach_ledger_append_only()"
    )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in GUARDED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    for table in [*GUARDED, "ledger_head"]:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    schema_editor.execute("DROP TRIGGER IF EXISTS ledger_head_no_delete ON ledger_head")
    schema_editor.execute("DROP FUNCTION IF EXISTS minhbach_ledger_append_only()")


class Migration(migrations.Migration):
    dependencies = [("procurement", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
