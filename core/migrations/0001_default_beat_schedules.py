"""Beat's default schedule, added once: edits made in the admin (Periodic tasks) are never overwritten.

An entry whose name already exists (from an earlier set-up, or edited since) is left as it is.
Reversing deletes the entries by name, edited or not.
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

HOUR = 3600

# name: (task, interval as (every, period) or None, expire_seconds, description)
INTERVAL_DEFAULTS = {
    "heartbeat": ("core.tasks.beat_heartbeat", (30, "seconds"), None,
                  "Proves beat, the broker and a worker are alive (/healthz reads it)."),
    "refresh-prices": ("kitchen.tasks.refresh_prices", (1, "hours"), HOUR,
                       "Asks the price provider for fresh prices. A run still queued when the next is due is dropped."),
    "resume-stale-jobs": ("jobs.tasks.resume_stale_jobs", (60, "seconds"), 60,
                          "Queues again the background jobs whose worker died."),
}
DAILY_REPORTS = "daily-reports"
DAILY_REPORTS_TASK = "notifications.tasks.send_daily_reports"
DAILY_REPORTS_EXPIRE_SECONDS = 3 * HOUR


def add_defaults(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    existing = set(PeriodicTask.objects.values_list("name", flat=True))
    added = False
    for name, (task, (every, period), expire_seconds, description) in INTERVAL_DEFAULTS.items():
        if name in existing:
            continue
        # Not get_or_create: the interval table has no unique constraint, and may hold duplicates.
        interval = (IntervalSchedule.objects.filter(every=every, period=period).order_by("pk").first()
                    or IntervalSchedule.objects.create(every=every, period=period))
        PeriodicTask.objects.create(name=name, task=task, interval=interval, expire_seconds=expire_seconds,
                                    description=description)
        added = True
    if DAILY_REPORTS not in existing:
        spec = {"minute": "0", "hour": "17", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*",
                "timezone": settings.TIME_ZONE}
        crontab = CrontabSchedule.objects.filter(**spec).order_by("pk").first() or CrontabSchedule.objects.create(**spec)
        PeriodicTask.objects.create(name=DAILY_REPORTS, task=DAILY_REPORTS_TASK, crontab=crontab,
                                    expire_seconds=DAILY_REPORTS_EXPIRE_SECONDS,
                                    description="Sends the daily reports at 17:00. A run not started by 20:00 is dropped.")
        added = True
    if added:
        _tell_running_beat(PeriodicTasks)


def remove_defaults(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name__in=[*INTERVAL_DEFAULTS, DAILY_REPORTS]).delete()[0]:
        _tell_running_beat(PeriodicTasks)


def _tell_running_beat(PeriodicTasks):
    """Historical models send no signals: touch the change marker the model's signals would, so a
    beat already running reads the schedule again at its next tick."""
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):

    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(add_defaults, remove_defaults),
    ]
