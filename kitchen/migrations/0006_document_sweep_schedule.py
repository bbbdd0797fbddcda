"""Beat's sweep of co-edited documents not yet written back to their rows, added once (like
core's 0001_default_beat_schedules: an entry edited in the admin is left as it is)."""

from django.db import migrations
from django.utils import timezone

NAME = "write-back-documents"
TASK = "kitchen.tasks.write_back_documents"


def add(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    interval = IntervalSchedule.objects.filter(every=60, period="seconds").order_by("pk").first()
    if interval is None:
        interval = IntervalSchedule.objects.create(every=60, period="seconds")
    PeriodicTask.objects.create(
        name=NAME,
        task=TASK,
        interval=interval,
        expire_seconds=60,
        description="Writes co-edited recipes back to their rows when the server that held them could not.",
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kitchen", "0005_recipe_document"),
        ("core", "0001_default_beat_schedules"),
    ]

    operations = [migrations.RunPython(add, remove)]
