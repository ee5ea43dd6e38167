from django.db import migrations

from firstline.coaching.frameworks import install_default_frameworks


def install(apps, schema_editor):
    install_default_frameworks(
        apps.get_model("coaching", "CompetencyFramework"),
        apps.get_model("coaching", "Competency"),
        apps.get_model("coaching", "CompetencyLevel"),
    )


class Migration(migrations.Migration):
    dependencies = [("coaching", "0001_competencies_assessments_plans_sessions")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
