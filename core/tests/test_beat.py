"""Beat's schedule lives in the database: defaults from a data migration, edits kept across beat starts."""

from __future__ import annotations

import importlib
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks
from django_celery_beat.schedulers import ModelEntry

from brigade.celery import app
from brigade.launcher import build_children
from tests.helpers import Server, stack_env, wait_for

defaults = importlib.import_module("core.migrations.0001_default_beat_schedules")

DEFAULT_NAMES = {
    "heartbeat", "refresh-prices", "resume-stale-jobs", "daily-reports", "write-back-documents", "check-monthly-limits",
}  # fmt: skip


def entry(name: str) -> ModelEntry:
    """The entry as beat reads it from the database: what it sends, when, and with what expiry."""
    return ModelEntry(PeriodicTask.objects.get(name=name), app=app)


def schedule_as_edited() -> dict[str, dict]:
    """Every entry's settings an admin edits (not the run bookkeeping beat keeps: last run, count)."""
    fields = ["task", "enabled", "interval__every", "interval__period", "crontab__minute", "crontab__hour",
              "crontab__day_of_week", "crontab__timezone", "expire_seconds", "args", "kwargs", "queue",
              "one_off"]  # fmt: skip
    return {row.pop("name"): row for row in PeriodicTask.objects.values("name", *fields)}


@pytest.mark.django_db
class TestDefaultSchedule:
    def test_migrate_adds_the_defaults_and_nothing_else(self):
        # (the price refresh's entry: kitchen/tests/test_tasks.py)
        assert set(PeriodicTask.objects.values_list("name", flat=True)) == DEFAULT_NAMES

        heartbeat = entry("heartbeat")
        assert (heartbeat.task, heartbeat.schedule.run_every) == ("core.tasks.beat_heartbeat", timedelta(seconds=30))
        assert "expires" not in heartbeat.options

        stale = entry("resume-stale-jobs")
        assert (stale.task, stale.schedule.run_every) == ("jobs.tasks.resume_stale_jobs", timedelta(seconds=60))
        assert stale.options["expires"] == 60

        reports = entry("daily-reports")
        assert reports.task == "notifications.tasks.send_daily_reports"
        assert reports.options["expires"] == 3 * 3600
        assert all(PeriodicTask.objects.filter(name__in=DEFAULT_NAMES).values_list("enabled", flat=True))

    def test_the_reports_run_at_17_00_every_day_in_the_configured_time_zone(self, settings):
        # Given a kitchen in Paris, on a database without the reports entry yet
        settings.TIME_ZONE = "Europe/Paris"
        PeriodicTask.objects.filter(name="daily-reports").delete()

        # When the migration adds it
        defaults.add_defaults(apps, None)

        # Then beat runs it at 17:00 Paris time, every day
        crontab = PeriodicTask.objects.get(name="daily-reports").crontab
        assert (crontab.minute, crontab.hour, crontab.day_of_week, crontab.day_of_month, crontab.month_of_year) == (
            "0", "17", "*", "*", "*",
        )  # fmt: skip
        assert crontab.timezone == ZoneInfo("Europe/Paris")
        schedule = entry("daily-reports").schedule
        assert (schedule.hour, schedule.minute, schedule.day_of_week) == ({17}, {0}, set(range(7)))
        assert schedule.tz == ZoneInfo("Europe/Paris")

    def test_an_existing_entry_is_never_overwritten(self):
        # Given an admin who made the price refresh daily and switched it off
        refresh = PeriodicTask.objects.get(name="refresh-prices")
        refresh.interval, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.DAYS)
        refresh.enabled = False
        refresh.save()
        before = schedule_as_edited()

        # When the defaults are added again (as on a database that had these entries before)
        defaults.add_defaults(apps, None)

        # Then every entry is as it was
        assert schedule_as_edited() == before


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the defaults back after earlier flushes
class TestBeatStart:
    def test_edits_made_in_the_admin_survive_a_beat_start(self, tmp_path):
        # Given an admin who switched the price refresh off, made the heartbeat every second and
        # deleted the daily reports
        refresh = PeriodicTask.objects.get(name="refresh-prices")
        refresh.enabled = False
        refresh.save()
        heartbeat = PeriodicTask.objects.get(name="heartbeat")
        heartbeat.interval, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
        heartbeat.save()
        PeriodicTask.objects.get(name="daily-reports").delete()
        before, changed_at = schedule_as_edited(), PeriodicTasks.last_change()

        # When beat starts, as make run starts it, and sends the heartbeat on the edited schedule
        beat_args = next(child.args for child in build_children({"HOST": "127.0.0.1", "PORT": "8000"})
                         if child.name == "beat")  # fmt: skip
        beat = Server(beat_args, stack_env(), tmp_path / "beat.log")
        try:
            wait_for(lambda: sent_twice(beat, "heartbeat"), timeout=60, what="beat to send the heartbeat twice")
        except AssertionError as error:
            raise AssertionError(f"{error}:\n{beat.output()[-3000:]}") from None
        finally:
            beat.stop()

        # Then the schedule is as the admin left it: nothing re-enabled, reset or added back
        assert schedule_as_edited() == before
        assert set(before) == DEFAULT_NAMES - {"daily-reports"}
        # And beat recorded no change of the schedule (only its runs)
        assert PeriodicTasks.last_change() == changed_at


def sent_twice(beat: Server, name: str) -> bool:
    if beat.process.poll() is not None:
        raise AssertionError(f"beat exited with code {beat.process.returncode}")
    return beat.output().count(f"Sending due task {name} ") >= 2
