"""On PostgreSQL, the database itself refuses two interviews that overlap for one person."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE slots_busyperiod ADD CONSTRAINT busy_interview_no_overlap
    EXCLUDE USING gist (user_id WITH =, tstzrange("start", "end", '[)') WITH &&)
    WHERE (source = 'interview');
"""
DROP = "ALTER TABLE slots_busyperiod DROP CONSTRAINT IF EXISTS busy_interview_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("slots", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
