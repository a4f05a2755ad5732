"""Full-text search on PostgreSQL: an accent-insensitive configuration for Vietnamese (simple
dictionary + unaccent: no stemmer exists for Vietnamese) and a generated, GIN-indexed tsvector.
SQLite (the embedded default) searches by substring instead; see tenders/filters.py."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'minhbach') THEN
           CREATE TEXT SEARCH CONFIGURATION minhbach (COPY = simple);
           ALTER TEXT SEARCH CONFIGURATION minhbach
             ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
         END IF;
       END $$""",
    """ALTER TABLE tenders_tender ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
         setweight(to_tsvector('minhbach'::regconfig, coalesce(title, '')), 'A') ||
         setweight(to_tsvector('minhbach'::regconfig,
                   coalesce(reference, '') || ' ' || coalesce(classification_code, '')), 'A') ||
         setweight(to_tsvector('minhbach'::regconfig, coalesce(description, '')), 'B')
       ) STORED""",
    "CREATE INDEX tender_search_gin ON tenders_tender USING gin (search_vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS tender_search_gin",
    "ALTER TABLE tenders_tender DROP COLUMN IF EXISTS search_vector",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("tenders", "0002_regime_presets")]
    operations = [migrations.RunPython(forward, backward)]
