"""Expense e-mails on a real Celery worker (tests/worker.py) and a real SMTP server (tests/smtp.py):
each message once however often its task is delivered, beat's monthly check, and an import's one
summary instead of a message per expense."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from expenses import services
from expenses.limits import monthly_limits_check
from expenses.models import Expense, ExpenseCategory, ExpenseSettings, LimitAlert
from expenses.tasks import check_monthly_limits, send_expense_email_notification, send_limit_alert
from expenses.tests.conftest import add
from jobs.models import Job
from kitchen.tests.factories import UserFactory
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUIET = 1.5  # how long "nothing more arrives" is watched for


def addresses(messages) -> list[str]:
    return sorted(message["To"] for message in messages)


def runs(worker, line: str) -> int:
    """How many times the worker logged a finished run with this line (its log is shared by the session)."""
    return worker.output().count(line)


def deliver_twice_more(worker, task, object_id: int, line: str) -> None:
    """Deliver an e-mail task twice more, at once (a redelivery racing a rerun), and wait for both runs."""
    before = runs(worker, line)
    task.delay(object_id)
    task.delay(object_id)
    wait_for(lambda: runs(worker, line) >= before + 2, timeout=30, what="both extra deliveries to run")


def test_an_added_expense_is_emailed_once_even_when_its_task_is_delivered_twice(celery_worker, smtp_server, user):
    line = "expense-mail {}: "
    expense = add(user, "12.50", description="Saffron <threads>")  # its task is enqueued after commit
    [message] = smtp_server.wait_for(1, timeout=30)
    assert (message["To"], message["Subject"]) == (user.email, "Expense added: 12.50 EUR")
    assert "Saffron <threads>" in message.get_body(("plain",)).get_content()
    assert "Saffron &lt;threads&gt;" in message.get_body(("html",)).get_content()
    wait_for(lambda: runs(celery_worker, line.format(expense.pk)) >= 1, timeout=10, what="the first run's log line")

    deliver_twice_more(celery_worker, send_expense_email_notification, expense.pk, line.format(expense.pk))

    time.sleep(QUIET)
    assert len(smtp_server.messages) == 1


def test_with_notifications_off_no_expense_email_is_sent(celery_worker, smtp_server, user, other_user):
    services.expense_settings_update(user_id=user.pk, monthly_limit=None, notifications=False)
    quiet = add(user, "5", description="Quiet")
    before = runs(celery_worker, f"expense-mail {quiet.pk}: ")
    send_expense_email_notification.delay(quiet.pk)  # delivered anyway, as a stray redelivery would be
    add(other_user, "6", description="Control")  # notifications on: this one must arrive

    [message] = smtp_server.wait_for(1, timeout=30)
    wait_for(lambda: runs(celery_worker, f"expense-mail {quiet.pk}: ") > before, timeout=30, what="the stray run")
    time.sleep(QUIET)
    assert message["To"] == other_user.email
    assert addresses(smtp_server.messages) == [other_user.email]


def test_each_level_of_a_crossed_limit_is_emailed_once_even_when_delivered_twice(
    celery_worker, smtp_server, user, today
):
    services.expense_settings_update(user_id=user.pk, monthly_limit="100", notifications=True)
    add(user, "85")  # 85%: the warning
    add(user, "5")  # still under 100%: nothing new
    add(user, "20")  # 110%: exceeded
    messages = smtp_server.wait_for(5, timeout=30)  # three expenses, two alerts

    month = f"{today:%B %Y}"
    alerts = [m["Subject"] for m in messages if m["Subject"].startswith("All expenses")]
    assert sorted(alerts) == [f"All expenses: 80% reached for {month}", f"All expenses: Limit exceeded for {month}"]
    exceeded = LimitAlert.objects.get(owner=user, level="exceeded")
    line = f"limit-alert {exceeded.pk}: "
    wait_for(lambda: runs(celery_worker, line) >= 1, timeout=10, what="the alert's first run")

    deliver_twice_more(celery_worker, send_limit_alert, exceeded.pk, line)

    time.sleep(QUIET)
    assert len(smtp_server.messages) == 5
    bodies = [m.get_body(("plain",)).get_content() for m in messages]
    assert any("over the monthly limit of 100.00 EUR" in body for body in bodies)


def test_the_periodic_check_alerts_what_no_save_saw_and_mails_it_once(celery_worker, smtp_server, today):
    # Given expenses inserted without the save path (no alert was evaluated for them)
    over, warned, silent, under = (UserFactory() for _ in range(4))
    ExpenseSettings.objects.filter(user__in=[over, silent, under]).update(monthly_limit=Decimal("100"))
    ExpenseSettings.objects.filter(user=silent).update(notifications=False)
    produce = ExpenseCategory.objects.create(owner=warned, name="Produce", monthly_limit=Decimal("50"))
    Expense.objects.bulk_create([
        Expense(owner=over, amount=Decimal("120.00"), date=today),
        Expense(owner=warned, category=produce, amount=Decimal("42.00"), date=today),  # 84%
        Expense(owner=silent, amount=Decimal("200.00"), date=today),
        Expense(owner=under, amount=Decimal("79.99"), date=today),
    ])  # fmt: skip
    assert not LimitAlert.objects.exists()
    line = "monthly limits: "
    before = runs(celery_worker, line)

    # When beat's check runs on the worker
    check_monthly_limits.apply_async()
    messages = smtp_server.wait_for(2, timeout=30)
    wait_for(lambda: runs(celery_worker, line) > before, timeout=30, what="the check to finish")

    # Then each user over a level has the alert, and those who want e-mail got one
    alerts = set(LimitAlert.objects.values_list("owner__username", "category__name", "level"))
    assert alerts == {(over.username, None, "warning"), (over.username, None, "exceeded"),
                      (warned.username, "Produce", "warning"),
                      (silent.username, None, "warning"), (silent.username, None, "exceeded")}  # fmt: skip
    assert addresses(messages) == sorted([over.email, warned.email])
    wait_for(lambda: not LimitAlert.objects.filter(mailed_at__isnull=True).exists(), timeout=30, what="mailed_at")

    # When it runs again: nothing new, nothing sent
    check_monthly_limits.apply_async()
    wait_for(lambda: runs(celery_worker, line) > before + 1, timeout=30, what="the second check to finish")
    time.sleep(QUIET)
    assert addresses(smtp_server.messages) == sorted([over.email, warned.email])
    assert LimitAlert.objects.count() == 5
    assert "'inserted': 0" in celery_worker.output().rsplit(line, 1)[1].splitlines()[0]


def users_over_a_level(count: int, today) -> None:
    """`count` users at 85% of their overall limit and of a category's (a warning each), inserted
    without the save path. Two alerts a user: 50 users stay within one insert batch on SQLite too."""
    users = [UserFactory(password=None) for _ in range(count)]  # no password to hash: quick
    ExpenseSettings.objects.filter(user__in=users).update(monthly_limit=Decimal("100"))
    categories = ExpenseCategory.objects.bulk_create(
        ExpenseCategory(owner=user, name="Produce", monthly_limit=Decimal("20")) for user in users
    )
    Expense.objects.bulk_create(
        [Expense(owner=user, amount=Decimal("68.00"), date=today) for user in users]
        + [Expense(owner=c.owner, category=c, amount=Decimal("17.00"), date=today) for c in categories]
    )


# The two aggregates, the alerts already there, one batched insert and the read back (SQLite also
# counts the insert's BEGIN IMMEDIATE and COMMIT).
CHECK_QUERIES = 7


def test_the_periodic_checks_query_count_does_not_grow_with_the_number_of_users(django_assert_max_num_queries, today):
    users_over_a_level(5, today)
    with django_assert_max_num_queries(CHECK_QUERIES) as few:
        outcome = monthly_limits_check()
    assert (outcome.over, outcome.inserted) == (10, 10)

    users_over_a_level(50, today)
    with django_assert_max_num_queries(CHECK_QUERIES) as many:
        outcome = monthly_limits_check()
    assert (outcome.over, outcome.inserted) == (110, 100)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_csv_import_on_the_worker_reports_bad_rows_and_mails_one_summary(
    celery_worker, smtp_server, user, as_user, today
):
    good = [f"{today},{n}.50,EUR,Wine,Bottle {n}" for n in range(1, 251)]  # several batches (100 on the worker)
    bad = [f"{today},-1,,,refund", f"{today},3,USD,,dollars"]
    content = "\n".join(["date,amount,currency,category,description", *good[:120], *bad, *good[120:]]) + "\n"

    response = as_user(user).post("/expenses/import/", {"file": SimpleUploadedFile("wine.csv", content.encode())})
    assert (response.status_code, response["Location"]) == (302, "/tasks/")
    job = Job.objects.get(kind="expenses.import")
    wait_for(lambda: Job.objects.get(pk=job.pk).state in ("done", "failed"), timeout=60, what="the import to end")

    done = Job.objects.get(pk=job.pk)
    assert (done.state, done.result) == ("done", {"records": 252, "imported": 250, "failed": 2})
    assert [(e["item"], e["field"]) for e in done.errors] == [("row 122", "amount"), ("row 123", "currency")]
    assert Expense.objects.filter(owner=user, category__name="Wine").count() == 250
    [message] = smtp_server.wait_for(1, timeout=30)
    time.sleep(QUIET)
    assert len(smtp_server.messages) == 1  # one summary, not a message per expense
    assert (message["To"], message["Subject"]) == (user.email, "250 expenses imported")
    assert "2 rows could not be imported" in message.get_body(("plain",)).get_content()
