#!/usr/bin/env python
"""The monthly limits check (#17): `monthly_limits_check` over every user, against a per-user loop
doing what the course's `check_monthly_limits` does, on PostgreSQL, in one run.

Data (seeded, loaded with COPY into a scratch database, then VACUUM ANALYZE): N users, each with
expense settings and 3 categories, M expenses spread over the 12 months ending with this month
(every user has at least one this month). 70% of users have an overall monthly limit, half have a
limit on a category, 20% have notifications off; 10% of users are over a level this month (in
turn: overall at warning, overall exceeded, a category at warning, a category exceeded, overall
exceeded and a category at warning); the others stay under 50% of every limit.

Both sides start from an empty alert table and must insert the same (owner, category, level) set,
the one computed while generating the data, or the run fails. Same database, indexes, month; a
warm-up run of the check first.
  - *Brigade*: `expenses.limits.monthly_limits_check(today=...)`: two aggregates over all users,
    the existing alerts, batched inserts, one read back. Run --repeat times (median), plus a rerun
    with every alert already there (beat's usual case), plus the whole `check_monthly_limits` task
    body once (live events published to an embedded Redis, e-mail batches enqueued on a private
    queue no worker reads).
  - *per-user loop*: the course's loop (`for user in User.objects.all()`: the user's profile, the
    aggregate of their month, compare, notify) grown to this app's limits: per user their settings
    row, their month's totals by category (one grouped aggregate), their limited categories, then
    one INSERT of the alerts reached (ON CONFLICT DO NOTHING). Three queries per user, four when
    over a level.
Queries are counted with a connection execute wrapper (every statement sent, savepoints included).

    .venv/bin/python bench/limits.py                                 # 10,000 users, 1,000,000 expenses (~1 min)
    .venv/bin/python bench/limits.py --users 1000 --expenses 100000  # a quick run
    .venv/bin/python bench/limits.py --covering-index --pre-aggregate  # + two changes to the check, measured
    .venv/bin/python bench/limits.py --keep; .venv/bin/python bench/limits.py --reuse --explain  # load once
    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/brg_bench_limits .venv/bin/python bench/limits.py
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/brg_bench_limits")
SEED = 17
MONTHS = 12
CATEGORIES = ("Groceries", "Equipment", "Cleaning")
OVER_KINDS = ("overall warning", "overall exceeded", "category warning", "category exceeded",
              "overall exceeded + category warning")  # fmt: skip

AlertKey = tuple[int, int | None, str]  # (owner id, category id or None, level)


# -- The data ------------------------------------------------------------------------------------


@dataclass
class Dataset:
    month: date
    users: int
    expenses: int
    settings: list[tuple[int, int, Decimal | None, bool]] = field(default_factory=list)  # id, user, limit, notify
    categories: list[tuple[int, int, str, Decimal | None]] = field(default_factory=list)  # id, owner, name, limit
    expected: set[AlertKey] = field(default_factory=set)
    this_month_rows: int = 0


def months_back(month: date, back: int) -> date:
    index = month.year * 12 + month.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def generate(*, users: int, expenses: int, month: date) -> tuple[Dataset, Callable[[], Iterator[tuple]]]:
    """The users' settings and categories (limits set from this month's totals), the expected alerts, and
    a generator of the expense rows (replayed from the seed, so they are never all in memory)."""
    from expenses.inputs import month_end
    from expenses.selectors import levels_reached

    data = Dataset(month=month, users=users, expenses=expenses)
    months = [months_back(month, back) for back in range(MONTHS)]
    lengths = [(month_end(m) - m).days for m in months]

    def rows() -> Iterator[tuple]:
        rng = random.Random(SEED)
        per_user, extra = divmod(expenses, users)
        for user in range(1, users + 1):
            first_category = (user - 1) * len(CATEGORIES) + 1
            for n in range(per_user + (user <= extra)):
                back = 0 if n == 0 else rng.randrange(MONTHS)  # at least one this month
                day = months[back].replace(day=rng.randrange(lengths[back]) + 1)
                pick = rng.randrange(len(CATEGORIES) + 1)  # 1 in 4 uncategorised
                category = first_category if n == 0 else (first_category + pick if pick < len(CATEGORIES) else None)
                yield user, category, rng.randrange(100, 6000), day  # amount in cents

    overall = [0] * (users + 1)
    by_category: dict[int, int] = {}
    for user, category, amount, day in rows():
        if day >= month:
            data.this_month_rows += 1
            overall[user] += amount
            if category is not None:
                by_category[category] = by_category.get(category, 0) + amount

    def cents(value: int) -> Decimal:
        return Decimal(value).scaleb(-2)

    rng = random.Random(SEED + 1)
    for user in range(1, users + 1):
        first_category = (user - 1) * len(CATEGORIES) + 1
        kind = OVER_KINDS[(user // 10) % len(OVER_KINDS)] if user % 10 == 0 else ""
        total = overall[user]
        spent = {pk: by_category.get(pk, 0) for pk in range(first_category, first_category + len(CATEGORIES))}
        busiest = max(spent, key=lambda pk: (spent[pk], -pk))
        limit: int | None = None
        if "overall warning" in kind:
            limit = total * 10 // 9 + 1  # about 90%
        elif "overall exceeded" in kind:
            limit = max(1, total * 9 // 10)  # about 111%
        elif rng.random() < 0.7:
            limit = total * 2 + rng.randrange(100, 10_000)  # under 50%
        data.settings.append((user, user, None if limit is None else cents(limit), rng.random() >= 0.2))
        for offset, name in enumerate(CATEGORIES):
            pk = first_category + offset
            category_limit: int | None = None
            if pk == busiest and "category warning" in kind:
                category_limit = spent[pk] * 10 // 9 + 1
            elif pk == busiest and "category exceeded" in kind:
                category_limit = max(1, spent[pk] * 9 // 10)
            elif offset == user % len(CATEGORIES) and rng.random() < 0.5:
                category_limit = spent[pk] * 2 + rng.randrange(100, 5_000)
            data.categories.append((pk, user, name, None if category_limit is None else cents(category_limit)))
    for user, _, overall_limit, _ in data.settings:
        data.expected |= {(user, None, level) for level in levels_reached(cents(overall[user]), overall_limit)}
    for pk, owner, _, limit_amount in data.categories:
        data.expected |= {(owner, pk, level) for level in levels_reached(cents(by_category.get(pk, 0)), limit_amount)}
    over_users = {owner for owner, _, _ in data.expected}
    assert len(over_users) == users // 10, (len(over_users), users // 10)
    return data, rows


def load(data: Dataset, rows: Callable[[], Iterator[tuple]]) -> None:
    """COPY the users, their settings and categories and the expenses; sequences moved past them."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from expenses.models import Expense, ExpenseCategory, ExpenseSettings

    now = timezone.now()

    def copy(model: Any, columns: list[str], values: Iterator[tuple]) -> None:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as stream:
                for row in values:
                    stream.write_row(row)
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")

    copy(User, ["id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
                "is_active", "date_joined"],
         ((pk, "!", False, f"bench{pk}", "", "", f"bench{pk}@example.com", False, True, now)
          for pk in range(1, data.users + 1)))  # fmt: skip
    copy(ExpenseSettings, ["id", "user_id", "monthly_limit", "notifications"], iter(data.settings))
    copy(ExpenseCategory, ["id", "owner_id", "name", "monthly_limit"], iter(data.categories))
    copy(Expense, ["owner_id", "category_id", "amount", "description", "date", "created_at", "updated_at", "mailed_at"],
         ((user, category, Decimal(amount).scaleb(-2), "bench", day, now, now, now)
          for user, category, amount, day in rows()))  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")  # the load's writes flushed now, not during the timings


def reusable(data: Dataset) -> bool:
    from django.contrib.auth.models import User

    from expenses.models import Expense, ExpenseSettings

    found = (User.objects.count(), Expense.objects.count(), ExpenseSettings.objects.count())
    this_month = Expense.objects.filter(date__gte=data.month).count()
    return found == (data.users, data.expenses, data.users) and this_month == data.this_month_rows


# -- The two sides -------------------------------------------------------------------------------


Statement = tuple[str, Any, float]  # sql, params, seconds until the driver returned


@dataclass
class Run:
    seconds: float
    queries: int
    alerts: set[AlertKey]
    statements: list[Statement] = field(default_factory=list)

    def breakdown(self) -> str:
        """Milliseconds per statement, and what is left: Python (the ORM, model instances) and the driver."""
        waits = [seconds * 1000 for _, _, seconds in self.statements]
        return (f"statements {' + '.join(f'{ms:.0f}' for ms in waits)} = {sum(waits):.0f} ms, "
                f"the rest {self.seconds * 1000 - sum(waits):.0f} ms")  # fmt: skip


@contextmanager
def counted() -> Iterator[list[Statement]]:
    """Every statement sent on this connection meanwhile (execute_wrapper: savepoints and batches too)."""
    from django.db import connection

    sent: list[Statement] = []

    def wrapper(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sent.append((sql, params, time.perf_counter() - started))

    with connection.execute_wrapper(wrapper):
        yield sent


def alerts_clear() -> None:
    from django.db import connection

    from expenses.models import LimitAlert

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {LimitAlert._meta.db_table}")


def alerts_now(month: date) -> set[AlertKey]:
    from expenses.models import LimitAlert

    return set(LimitAlert.objects.filter(month=month).values_list("owner_id", "category_id", "level"))


def timed(call: Callable[[], Any], month: date, *, clear: bool = True) -> Run:
    if clear:
        alerts_clear()
    with counted() as sent:
        started = time.perf_counter()
        call()
        seconds = time.perf_counter() - started
    return Run(seconds=seconds, queries=len(sent), alerts=alerts_now(month), statements=list(sent))


def per_user_loop(*, month: date) -> int:
    """The course's check_monthly_limits, grown to this app's limits and levels (see the module's doc)."""
    from django.contrib.auth.models import User
    from django.db.models import Sum
    from django.utils import timezone

    from expenses.inputs import month_end
    from expenses.limits import EXCEEDED, WARNING
    from expenses.models import Expense, ExpenseCategory, ExpenseSettings, LimitAlert
    from expenses.selectors import levels_reached

    end = month_end(month)
    now = timezone.now()
    inserted = 0
    for user in User.objects.all():
        settings_row = ExpenseSettings.objects.filter(user=user).first()
        month_expenses = Expense.objects.filter(owner=user, date__gte=month, date__lt=end)
        totals = dict(month_expenses.order_by().values_list("category_id").annotate(total=Sum("amount")))
        limits: list[tuple[int | None, Decimal | None, Decimal]] = [
            (None, settings_row.monthly_limit if settings_row else None, sum(totals.values(), Decimal(0)))
        ]
        for pk, limit in ExpenseCategory.objects.filter(owner=user, monthly_limit__isnull=False).values_list(
            "pk", "monthly_limit"
        ):
            limits.append((pk, limit, totals.get(pk, Decimal(0))))
        reached = {(pk, level): (total, limit) for pk, limit, total in limits for level in levels_reached(total, limit)}
        if not reached:
            continue
        notify = settings_row is None or settings_row.notifications
        alerts = [
            LimitAlert(owner=user, category_id=pk, month=month, level=level, total=total, limit=limit,
                       mailed_at=None if notify and not (level == WARNING and (pk, EXCEEDED) in reached) else now)
            for (pk, level), (total, limit) in reached.items()
        ]  # fmt: skip
        inserted += len(LimitAlert.objects.bulk_create(alerts, ignore_conflicts=True))
    return inserted


def task_body() -> dict:
    from expenses.tasks import check_monthly_limits

    return check_monthly_limits()  # called, not enqueued: runs here, publishing and enqueueing as a worker would


@contextmanager
def covering_index() -> Iterator[dict[str, str]]:
    """expense_date_owner (date, owner) made covering for the check's aggregates (INCLUDE category, amount:
    index-only scans, no heap pages), as a migration would; put back afterwards. Yields the index's sizes
    (as loaded, covering, and plain again: rebuilt, so without the load's page splits), filled in as known."""
    from django.db import connection, models

    from expenses.models import Expense

    current = next(index for index in Expense._meta.indexes if index.name == "expense_date_owner")
    covering = models.Index(fields=["date", "owner"], include=["category", "amount"], name="expense_date_owner")

    def swap(old: models.Index, new: models.Index) -> None:
        with connection.schema_editor() as editor:
            editor.remove_index(Expense, old)
            editor.add_index(Expense, new)
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Expense._meta.db_table}")  # the visibility map, for index-only scans

    def size() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_relation_size('expense_date_owner'))")
            return str(cursor.fetchone()[0])

    sizes = {"as loaded": size()}
    swap(current, covering)
    sizes["covering"] = size()
    try:
        yield sizes
    finally:
        swap(covering, current)
        sizes["plain, rebuilt"] = size()


# The check's overall aggregate joins every expense of the month to its owner's user and settings rows,
# then groups by owner, limit and notifications; this sums per owner first and joins the settings of
# those owners only. The same rows (checked); PostgreSQL's SQL, for --pre-aggregate.
OVERALL_PRE_AGGREGATED = """
SELECT spent.owner_id, s.monthly_limit, s.notifications, spent.total
FROM (SELECT owner_id, SUM(amount) AS total FROM expenses_expense
      WHERE date >= %s AND date < %s GROUP BY owner_id) spent
JOIN expenses_expensesettings s ON s.user_id = spent.owner_id
WHERE s.monthly_limit IS NOT NULL AND spent.total >= s.monthly_limit * %s
"""


def aggregates_compared(statements: list[Statement], month: date, *, times: int) -> str:
    """The check's two aggregates as it sent them, and the overall one pre-aggregated: median ms each."""
    from django.db import connection

    from expenses.inputs import month_end
    from expenses.selectors import WARNING_SHARE

    def median_ms(sql: str, params: Any) -> tuple[float, set[tuple]]:
        took = []
        with connection.cursor() as cursor:
            for _ in range(times):
                started = time.perf_counter()
                cursor.execute(sql, params)
                rows = set(cursor.fetchall())
                took.append(time.perf_counter() - started)
        return statistics.median(took) * 1000, rows

    overall, by_category = [(sql, params) for sql, params, _ in statements if "SUM(" in sql.upper()]  # in that order
    overall_ms, overall_rows = median_ms(*overall)
    category_ms, _ = median_ms(*by_category)
    pre_ms, pre_rows = median_ms(OVERALL_PRE_AGGREGATED, [month, month_end(month), WARNING_SHARE])
    assert pre_rows == overall_rows, "the pre-aggregated overall query found other rows"
    return (f"aggregates as sent: overall {overall_ms:.1f} ms, categories {category_ms:.1f} ms; "
            f"overall pre-aggregated per owner: {pre_ms:.1f} ms (the same {len(pre_rows):,} rows)")  # fmt: skip


def explain(statements: list[Statement]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the aggregates a run sent (statements with SUM)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for sql, params, _ in statements:
            if "SUM(" not in sql.upper():
                continue
            print(f"\n{sql}\n  params: {[str(p) for p in params or ()]}\n")
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print("\n".join(f"  {line}" for (line,) in cursor.fetchall()))


# -- Set-up and main ------------------------------------------------------------------------------


def database_recreate(url: str) -> None:
    from bench.chat_writers import recreate_postgres_database

    recreate_postgres_database(url)


def database_drop(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith(("brg_", "bench")):  # as recreate_postgres_database: only a bench database
        raise SystemExit(f"refusing to drop {name!r}: name the bench database brg_... or bench...")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(url: str) -> bool:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")]).fetchone()
    return found is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--expenses", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of Brigade's check from an empty alert table")
    parser.add_argument("--no-task", dest="task", action="store_false", help="skip timing the whole task body")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the check's aggregates")
    parser.add_argument(
        "--covering-index",
        action="store_true",
        help="also time Brigade's check with expense_date_owner INCLUDE (category, amount)",
    )
    parser.add_argument(
        "--pre-aggregate",
        action="store_true",
        help="also time the check's aggregates alone, and the overall one summed per owner before the join",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (default: dropped)")
    parser.add_argument("--reuse", action="store_true", help="use the kept database if it holds the same data")
    args = parser.parse_args()
    if args.users < 10 or args.expenses < args.users:
        parser.error("need at least 10 users and one expense per user")
    var_dir = Path(tempfile.mkdtemp(prefix="brg-bench-limits-"))
    reuse = args.reuse and database_exists(POSTGRES_URL)
    if not reuse:
        database_recreate(POSTGRES_URL)
    os.environ["CELERY_QUEUE"] = f"brigade-bench-limits-{os.getpid()}"  # no worker reads it
    from bench.common import prepare_brigade

    _, redis_process = prepare_brigade(var_dir, extra_env={"DATABASE_URL": POSTGRES_URL})
    try:
        measure(args, reuse=reuse)
    finally:
        from django.db import connection

        from brigade import embedded_redis

        connection.close()
        embedded_redis.stop(redis_process)
        if not args.keep:
            database_drop(POSTGRES_URL)


def measure(args: argparse.Namespace, *, reuse: bool) -> None:
    from django.db import connection
    from django.utils import timezone

    from expenses.limits import monthly_limits_check

    today = timezone.localdate()
    started = time.perf_counter()
    data, rows = generate(users=args.users, expenses=args.expenses, month=today.replace(day=1))
    if reuse and not reusable(data):
        raise SystemExit("--reuse: the kept database holds other data (run without --reuse)")
    if not reuse:
        load(data, rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    print(f"{version.split(' on ')[0]}; load average at start: {os.getloadavg()[0]:.2f}; "
          f"data {'reused' if reuse else 'generated and loaded'} in {time.perf_counter() - started:.1f} s")  # fmt: skip
    print(f"{data.users:,} users, {data.expenses:,} expenses over {MONTHS} months ({data.this_month_rows:,} in "
          f"{data.month:%Y-%m}); {len({a[0] for a in data.expected}):,} users over a level, "
          f"{len(data.expected):,} alerts expected")  # fmt: skip

    def check() -> None:
        monthly_limits_check(today=today)

    timed(check, data.month)  # a warm-up, not counted: caches as beat's periodic run finds them
    brigade = [timed(check, data.month) for _ in range(args.repeat)]
    rerun = timed(check, data.month, clear=False)  # every alert already there
    loop = timed(lambda: per_user_loop(month=data.month), data.month)
    task = timed(task_body, data.month) if args.task else None
    for name, run in [*(("Brigade", r) for r in brigade), ("Brigade rerun", rerun), ("per-user loop", loop),
                      *([("task body", task)] if task else [])]:  # fmt: skip
        if run.alerts != data.expected:
            missing, extra = len(data.expected - run.alerts), len(run.alerts - data.expected)
            raise SystemExit(f"{name}: not the expected alerts ({missing} missing, {extra} unexpected)")
    fast = statistics.median(run.seconds for run in brigade)
    typical = min(brigade, key=lambda run: abs(run.seconds - fast))
    print(f"\n{'check':<44} {'seconds':>8} {'queries':>8} {'alerts':>7}")
    print(f"{'per-user loop (course)':<44} {loop.seconds:>8.3f} {loop.queries:>8,} {len(loop.alerts):>7,}")
    runs = ", ".join(f"{r.seconds:.3f}" for r in brigade)
    print(f"{'Brigade monthly_limits_check (median)':<44} {fast:>8.3f} {brigade[0].queries:>8,} "
          f"{len(brigade[0].alerts):>7,}   runs: {runs}")  # fmt: skip
    print(f"{'':<44} {typical.breakdown()}")
    print(f"{'Brigade, rerun with the alerts already there':<44} {rerun.seconds:>8.3f} {rerun.queries:>8,}")
    if task:
        print(f"{'check_monthly_limits task body (+ Redis)':<44} {task.seconds:>8.3f} {task.queries:>8,}")
    ratio = loop.seconds / fast
    print(f"\nBrigade is {ratio:.0f}x the per-user loop ({loop.queries / brigade[0].queries:,.0f}x fewer queries); "
          f"target >= 50x and < 1 s: {'met' if ratio >= 50 and fast < 1 else 'NOT met'}")  # fmt: skip
    if args.explain:
        explain(brigade[-1].statements)
    if args.pre_aggregate:
        print(aggregates_compared(brigade[-1].statements, data.month, times=args.repeat * 3))
    if args.covering_index:
        with covering_index() as sizes:
            covered = [timed(check, data.month) for _ in range(args.repeat)]
            assert all(run.alerts == data.expected for run in covered)
            seconds = statistics.median(run.seconds for run in covered)
            runs = ", ".join(f"{r.seconds:.3f}" for r in covered)
            print(f"{'Brigade, covering expense_date_owner (median)':<44} {seconds:>8.3f} {covered[0].queries:>8,} "
                  f"{len(covered[0].alerts):>7,}   runs: {runs}; {loop.seconds / seconds:.0f}x the loop")  # fmt: skip
            print(f"{'':<44} {min(covered, key=lambda run: abs(run.seconds - seconds)).breakdown()}")
            if args.pre_aggregate:
                print(f"with it, {aggregates_compared(covered[-1].statements, data.month, times=args.repeat * 3)}")
            if args.explain:
                explain(covered[-1].statements)
        print("expense_date_owner: " + ", ".join(f"{size} {what}" for what, size in sizes.items()))


if __name__ == "__main__":
    main()
