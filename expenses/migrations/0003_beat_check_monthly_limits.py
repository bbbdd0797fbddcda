"""Beat's check of the month's spending limits, added once (like core's 0001_default_beat_schedules:
an entry edited in the admin is left as it is)."""

from django.db import migrations
from django.utils import timezone

NAME = "check-monthly-limits"
TASK = "expenses.tasks.check_monthly_limits"
EVERY = 15 * 60


def add(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    interval = IntervalSchedule.objects.filter(every=EVERY, period="seconds").order_by("pk").first()
    if interval is None:
        interval = IntervalSchedule.objects.create(every=EVERY, period="seconds")
    PeriodicTask.objects.create(
        name=NAME,
        task=TASK,
        interval=interval,
        expire_seconds=EVERY,
        description="Finds every user and category over 80% or 100% of a monthly limit, and alerts those not yet alerted.",
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("expenses", "0002_settings_for_existing_users"),
        ("core", "0001_default_beat_schedules"),
    ]

    operations = [migrations.RunPython(add, remove)]
