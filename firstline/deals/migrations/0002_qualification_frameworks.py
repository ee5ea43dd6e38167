from django.db import migrations


def create_frameworks(apps, schema_editor):
    from firstline.deals.frameworks import FRAMEWORKS

    framework = apps.get_model("deals", "QualificationFramework")
    for name, elements, is_default in FRAMEWORKS:
        framework.objects.get_or_create(name=name, defaults={"elements": elements, "is_default": is_default})


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]
    operations = [migrations.RunPython(create_frameworks, migrations.RunPython.noop)]
