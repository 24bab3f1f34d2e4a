"""Install the append-only trigger on history tables (PostgreSQL).

Tables created by later migrations get the same trigger from the post_migrate hook in
``trialsite.apps``; both call the one installer, which is idempotent.
"""

from django.db import migrations


def install(apps, schema_editor):
    from trialsite.history_guard import install_history_guards

    install_history_guards(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("trialsite", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
