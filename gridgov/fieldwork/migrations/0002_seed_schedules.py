"""The three standard patrol schedules: 日巡查 every working day, 月排查 on the 1st and 15th, 季度联查 once a quarter."""

from django.db import migrations

SCHEDULES = [
    ("daily", "日巡查", ["grid_worker"], [], 30),
    ("monthly", "月排查", ["grid_leader"], [1, 15], 60),
    ("quarterly", "季度联查", ["grid_worker", "grid_leader"], [], 60),
]


def seed(apps, schema_editor):
    PatrolSchedule = apps.get_model("fieldwork", "PatrolSchedule")
    for kind, name, roles, days, minutes in SCHEDULES:
        PatrolSchedule.objects.get_or_create(kind=kind, defaults={"name": name, "roles": roles,
                                                                  "days_of_month": days, "min_minutes": minutes})


class Migration(migrations.Migration):
    dependencies = [("fieldwork", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
