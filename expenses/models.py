"""A user's kitchen expenses, their categories and limits, and the alerts a crossed limit raises.

Everything belongs to one user. Amounts are in settings.PRICE_CURRENCY, two decimal places.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

AMOUNT_DIGITS = 12
AMOUNT_PLACES = 2
DESCRIPTION_MAX = 500
CATEGORY_NAME_MAX = 60


def _amount(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs)  # type: ignore[arg-type]


class ExpenseCategory(models.Model):
    """One user's own grouping of expenses (not the recipes' kitchen.Category), with an optional monthly limit."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_categories")
    name = models.CharField(max_length=CATEGORY_NAME_MAX)
    monthly_limit = _amount(null=True, blank=True)

    class Meta:
        verbose_name_plural = "expense categories"
        ordering = [Lower("name").asc(), "id"]
        constraints = [
            models.UniqueConstraint("owner", Lower("name"), name="expense_category_name_once"),
            models.CheckConstraint(condition=~Q(name=""), name="expense_category_name_not_empty"),
            models.CheckConstraint(
                condition=Q(monthly_limit__isnull=True) | Q(monthly_limit__gt=0), name="expense_category_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Expense(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expenses")
    # Deleting a category keeps its expenses, uncategorised.
    category = models.ForeignKey(
        ExpenseCategory, on_delete=models.SET_NULL, null=True, blank=True, related_name="expenses"
    )
    amount = _amount()
    description = models.CharField(max_length=DESCRIPTION_MAX, blank=True)
    date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set once the "expense added" e-mail went out (or was not wanted): a rerun of the task skips it.
    mailed_at = models.DateTimeField(null=True, blank=True)
    # "<job id>:<record key>" for an imported expense: a rerun of the import writes each record once.
    import_key = models.CharField(max_length=120, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            # The month's expenses of one user, and the monthly check's aggregate over a month.
            models.Index(fields=["owner", "date"], name="expense_owner_date"),
            models.Index(fields=["date", "owner"], name="expense_date_owner"),
            models.Index(fields=["category", "date"], name="expense_category_date"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} on {self.date}"


class ExpenseSettings(models.Model):
    """Each user has one (created with the user): the overall monthly limit and whether to e-mail.

    Its row is also the lock that puts one user's expense writes one after another, so that two
    expenses saved at once see each other's amount when the month's totals are checked.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_settings")
    monthly_limit = _amount(null=True, blank=True)
    notifications = models.BooleanField(default=True, help_text="E-mail me about expenses and crossed limits")

    class Meta:
        verbose_name_plural = "expense settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_limit__isnull=True) | Q(monthly_limit__gt=0), name="expense_settings_limit_positive"
            )
        ]

    def __str__(self) -> str:
        return f"expense settings of user {self.user_id}"


class LimitAlert(models.Model):
    """A limit reached in a month, at one level: exists once per user, category (none: the overall
    limit), month and level. Saves and the periodic check both insert it, so whoever comes second
    finds it there; a total falling back under the level deletes it, which re-arms it."""

    class Level(models.TextChoices):
        WARNING = "warning", "80% reached"
        EXCEEDED = "exceeded", "Limit exceeded"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="limit_alerts")
    category = models.ForeignKey(
        ExpenseCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="limit_alerts"
    )
    month = models.DateField(help_text="the first day of the month")
    level = models.CharField(max_length=10, choices=Level.choices)
    total = _amount()
    limit = _amount()
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once its e-mail went out, or when none is due (notifications off, or a higher level
    # reached by the same change): a rerun of the task sends nothing.
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["month", "owner"], name="limit_alert_month_owner")]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "month", "level"], condition=Q(category__isnull=True), name="limit_alert_overall_once"
            ),
            models.UniqueConstraint(
                fields=["owner", "category", "month", "level"],
                condition=Q(category__isnull=False),
                name="limit_alert_category_once",
            ),
            models.CheckConstraint(condition=Q(level__in=["warning", "exceeded"]), name="limit_alert_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.level} for user {self.owner_id} in {self.month:%Y-%m}"


class ExpenseImportMail(models.Model):
    """The one summary e-mail of an expense import, recorded once the mail server took it."""

    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"import summary of job {self.job_id}"
