from django.db import migrations


def seed(apps, schema_editor):
    from gridgov.registry.tags import tags_seed

    tags_seed(apps.get_model("registry", "Tag"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
