"""Expense settings for every user who existed before expenses (new users get theirs when created)."""

from django.conf import settings
from django.db import migrations

BATCH = 1000


def create(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    ExpenseSettings = apps.get_model("expenses", "ExpenseSettings")
    have = set(ExpenseSettings.objects.values_list("user_id", flat=True))
    missing = [ExpenseSettings(user_id=pk) for pk in User.objects.values_list("pk", flat=True) if pk not in have]
    ExpenseSettings.objects.bulk_create(missing, batch_size=BATCH, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("expenses", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
