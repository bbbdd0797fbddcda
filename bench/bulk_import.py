#!/usr/bin/env python
"""Recipe import throughput: the import pipeline against a naive one-create()-per-row loop, on
SQLite and PostgreSQL, in one run; and memory for a big file.

Each row runs in a fresh process (its own database, embedded Redis and media folder) importing a
generated CSV of N recipes (8 ingredient lines and 5 steps each, 14 rows per recipe, ingredients
from a pool of 300 so most exist after the first batches): the job's handler is called as a
worker calls it, validation included. Printed: recipes/s, rows/s (recipes + lines + steps +
category links written), and the peak RSS growth during the import (ru_maxrss after minus RSS
before). The naive loop checks each record the same way, then writes it with one create() per
row (get_or_create per ingredient), one transaction per recipe.

    .venv/bin/python bench/bulk_import.py                              # 10,000 on both, naive 1,000
    .venv/bin/python bench/bulk_import.py --backends sqlite --recipes 2000 --naive 500
    .venv/bin/python bench/bulk_import.py --memory 100000              # RSS growth at 10k vs 100k
    .venv/bin/python bench/bulk_import.py --backends --front 10000     # only the overview's p99 during an import
    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1/brg_bench_import .venv/bin/python bench/bulk_import.py
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/brg_bench_import")
HEADER = ["recipe_ref", "kind", "name", "description", "servings", "prep_time", "difficulty", "status",
          "categories", "ingredient", "quantity", "unit", "note", "step"]  # fmt: skip
LINES, STEPS, INGREDIENT_POOL = 8, 5, 300
BulkCreateWriter: type | None = None


def write_csv(path: Path, recipes: int) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(1, recipes + 1):
            ref = f"r{n}"
            for line in range(LINES):
                head = (
                    [f"Dish {n}", "A generated recipe.", "4", "35", "medium", "draft", "Bench|Mains"]
                    if line == 0
                    else [""] * 7
                )
                writer.writerow([ref, "line", *head, f"Ingredient {(n * 7 + line) % INGREDIENT_POOL}",
                                 f"{(n + line) % 900 + 1}.5", "g", "chopped" if line % 3 == 0 else "", ""])  # fmt: skip
            for step in range(STEPS):
                writer.writerow([ref, "step", *[""] * 7, "", "", "", "", f"Step {step + 1}: do the thing to dish {n}."])


def rss_kb() -> int:
    import psutil

    return psutil.Process().memory_info().rss // 1024


def child(args: argparse.Namespace) -> None:
    """One measurement in this (fresh) process; prints a JSON line."""
    var_dir = Path(tempfile.mkdtemp(prefix="brg-bench-import-"))
    extra = {"IMPORT_BATCH_SIZE": str(args.batch), "IMPORT_MAX_MB": "1000"}
    if args.backend == "postgres":
        from bench.chat_writers import recreate_postgres_database

        recreate_postgres_database(POSTGRES_URL)
        extra["DATABASE_URL"] = POSTGRES_URL
    from bench.common import prepare_brigade, stop

    _, redis_process = prepare_brigade(var_dir, extra_env=extra)
    try:
        print(json.dumps(measure(args, var_dir)), flush=True)
    finally:
        stop(redis_process)


def measure(args: argparse.Namespace, var_dir: Path) -> dict:
    from django.contrib.auth.models import User
    from django.core.files import File
    from django.db import connection, transaction

    from imports import services
    from imports.formats import CsvImporter
    from imports.job_kinds import import_recipes
    from imports.recipes import RecipeWriter
    from jobs import services as job_services
    from jobs.progress import Progress
    from kitchen.models import Category, Chef, Ingredient, Recipe, RecipeIngredient, Step

    global BulkCreateWriter
    BulkCreateWriter = _bulk_create_writer()
    path = var_dir / "recipes.csv"
    write_csv(path, args.recipes)
    user = User.objects.create_user("bench", password=None)
    chef = Chef.objects.create(user=user)
    with path.open("rb") as handle:
        import_file = services.import_file_store(
            owner=user, upload=File(handle, name="recipes.csv"), name="recipes.csv"
        )
    before = rss_kb()
    started = time.perf_counter()
    if args.mode in ("pipeline", "bulk_create"):
        if args.mode == "bulk_create":  # the same pipeline, writing with Django's bulk_create instead
            import imports.job_kinds

            imports.job_kinds.RecipeWriter = BulkCreateWriter  # type: ignore[assignment,misc]
        job = services.import_start(owner=user, import_file=import_file)
        running = job_services.job_start(job_id=job.pk, task_id="bench")
        assert running is not None
        result = import_recipes(running, Progress(running))
        assert result["imported"] == args.recipes, result
    else:  # naive: the same checks, then one create() per row, a transaction per recipe
        writer = RecipeWriter(owner=chef, job_id=0)
        with path.open("rb") as stream:
            for _, draft in CsvImporter().records(stream):
                recipe = writer.check(draft)
                with transaction.atomic():
                    row = Recipe.objects.create(owner=chef, name=recipe.name, description=recipe.description,
                                                servings=recipe.servings, prep_time=recipe.prep_time,
                                                difficulty=recipe.difficulty, status=recipe.status)  # fmt: skip
                    for position, line in enumerate(recipe.lines, start=1):
                        ingredient, _ = Ingredient.objects.get_or_create(name=line.ingredient, defaults={"unit": "g"})
                        RecipeIngredient.objects.create(
                            recipe=row, ingredient=ingredient, position=position, quantity=line.quantity,
                            unit=line.unit, note=line.note,
                        )  # fmt: skip
                    for position, text in enumerate(recipe.steps, start=1):
                        Step.objects.create(recipe=row, position=position, text=text)
                    for name in recipe.categories:
                        category, _ = Category.objects.get_or_create(name=name, defaults={"slug": name.lower()})
                        row.categories.add(category)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = Recipe.objects.count() + RecipeIngredient.objects.count() + Step.objects.count()
    rows += Recipe.categories.through.objects.count()
    connection.close()
    return {"backend": args.backend, "mode": args.mode, "recipes": args.recipes, "seconds": seconds, "rows": rows,
            "rss_growth_mb": (peak - before) / 1024}  # fmt: skip


def _bulk_create_writer() -> type:
    from decimal import Decimal

    from django.db import transaction

    from imports.recipes import RecipeWriter
    from kitchen.models import Recipe, RecipeIngredient, Step
    from kitchen.overview import bump_overview_version

    class Writer(RecipeWriter):
        """What the import wrote with before COPY: bulk_create for every table."""

        def write(self, batch):
            keyed = {f"{self.job_id}:{key}": recipe for key, recipe in batch}
            done = set(Recipe.objects.filter(import_key__in=list(keyed)).values_list("import_key", flat=True))
            todo = [(key, recipe) for key, recipe in keyed.items() if key not in done]
            ingredients = self._ingredients(recipe for _, recipe in todo)
            categories = self._categories(recipe for _, recipe in todo)
            rows = Recipe.objects.bulk_create(
                Recipe(owner=self.owner, name=r.name, description=r.description, servings=r.servings,
                       prep_time=r.prep_time, difficulty=r.difficulty, status=r.status,
                       unparsed_ingredients=r.unparsed, import_key=key)
                for key, r in todo
            )  # fmt: skip
            RecipeIngredient.objects.bulk_create(
                RecipeIngredient(recipe_id=row.pk, ingredient_id=ingredients[line.ingredient.lower()],
                                 position=n, quantity=Decimal(line.quantity), unit=line.unit, note=line.note)
                for row, (_, r) in zip(rows, todo, strict=True)
                for n, line in enumerate(r.lines, start=1)
            )  # fmt: skip
            Step.objects.bulk_create(
                Step(recipe_id=row.pk, position=n, text=text)
                for row, (_, r) in zip(rows, todo, strict=True)
                for n, text in enumerate(r.steps, start=1)
            )
            through = Recipe.categories.through
            through.objects.bulk_create(
                through(recipe_id=row.pk, category_id=categories[name.lower()])
                for row, (_, r) in zip(rows, todo, strict=True)
                for name in {name.lower(): name for name in r.categories}.values()
            )
            transaction.on_commit(bump_overview_version, robust=True)
            return len(rows)

    return Writer


def run_child(backend: str, mode: str, recipes: int, batch: int) -> dict:
    command = [sys.executable, __file__, "--child", "--backend", backend, "--mode", mode,
               "--recipes", str(recipes), "--batch", str(batch)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"{backend}/{mode} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(lines[-1])


# -- The front during an import ----------------------------------------------------------------


def overview_during_import(*, recipes: int, seconds: float, repeat: int) -> None:
    """The async overview's p99 at c = 50 while a worker imports `recipes`, beside it idle (bench/tasks.py's
    set-up: SQLite, the demo data, the stub price service; web and worker unpinned, as in make run)."""
    import shutil
    import signal
    import statistics

    from bench.async_views import CLIENT_CPU, parse_wrk, prepare, start, stub_start, uvicorn_command, wrk_command
    from bench.common import free_port, stop
    from bench.tasks import CONCURRENCY, cpu_snapshot, idle_window, window_figures, worker_start

    if not shutil.which("wrk"):
        raise SystemExit("the overview phase needs wrk: apt-get install wrk")
    var_dir = Path(tempfile.mkdtemp(prefix="brg-bench-import-front-"))
    os.environ["CELERY_QUEUE"] = f"brigade-bench-import-{os.getpid()}"
    stub, stub_url = stub_start(var_dir)
    redis_process = web = worker = None
    try:
        env, cookie, redis_process = prepare(var_dir, stub_url)
        from django.contrib.auth.models import User
        from django.core.files import File

        from imports import services
        from jobs.models import Job
        from kitchen.models import Chef

        importer = User.objects.create_user("bench-importer", password=None)  # drafts the viewer never sees
        Chef.objects.create(user=importer)
        path = var_dir / "recipes.csv"
        write_csv(path, recipes)
        os.sched_setaffinity(0, {int(CLIENT_CPU)})
        port = free_port()
        web = start(uvicorn_command("brigade.asgi:application", port), env, "0,1", port, var_dir / "web.log")
        worker = worker_start(env, "0,1", concurrency=2, nice=0, broker_url=None, log=var_dir / "worker.log")
        url = f"http://127.0.0.1:{port}/recipes/overview/"
        pids = {"web": web.pid, "worker": worker.pid, "stub": stub.pid, "redis": redis_process.pid}
        ratios = []
        print(f"\noverview p99 at c = {CONCURRENCY} during an import of {recipes} recipes (SQLite; web and worker "
              "unpinned; wrk on CPU 1)")  # fmt: skip
        for run in range(1, repeat + 1):
            idle = idle_window(url, cookie, seconds, pids)
            with path.open("rb") as handle:
                stored = services.import_file_store(owner=importer, upload=File(handle, name="r.csv"), name="r.csv")
            before = cpu_snapshot(pids)
            wrk = subprocess.Popen(wrk_command(url, cookie, CONCURRENCY, 600), stdout=subprocess.PIPE, text=True)
            started = time.monotonic()
            job = services.import_start(owner=importer, import_file=stored)
            while Job.objects.filter(pk=job.pk, state__in=["queued", "running"]).exists():
                time.sleep(0.05)
            took = time.monotonic() - started
            wrk.send_signal(signal.SIGINT)
            output, _ = wrk.communicate(timeout=30)
            loaded = window_figures(parse_wrk(output), before, cpu_snapshot(pids))
            state = Job.objects.get(pk=job.pk)
            ratios.append(loaded["p99"] / idle["p99"])
            imported = state.result and state.result.get("imported")
            print(f"run {run}: idle p50 {idle['p50']:.1f} p99 {idle['p99']:.1f} ms {idle['rps']:.0f} req/s | "
                  f"during the import ({state.state}, {imported} recipes in {took:.1f} s): p50 {loaded['p50']:.1f} "
                  f"p99 {loaded['p99']:.1f} ms {loaded['rps']:.0f} req/s | p99 x{ratios[-1]:.2f} | "
                  f"others {loaded['others_pct']:.0f}% of the CPUs", flush=True)  # fmt: skip
        print(f"median p99 ratio during/idle: {statistics.median(ratios):.2f} (target <= 1.5)")
    finally:
        for process in (worker, web, stub):
            if process is not None:
                stop(process)
        if redis_process is not None:
            from brigade import embedded_redis

            embedded_redis.stop(redis_process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="*", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--recipes", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=1_000, help="recipes for the naive loop (0: skip it)")
    parser.add_argument(
        "--no-bulk-create",
        dest="bulk_create",
        action="store_false",
        help="skip the row writing with bulk_create instead of COPY/executemany",
    )
    parser.add_argument("--memory", type=int, default=0, help="also import this many recipes, for RSS growth")
    parser.add_argument("--batch", type=int, default=500, help="IMPORT_BATCH_SIZE")
    parser.add_argument(
        "--front",
        type=int,
        default=0,
        metavar="RECIPES",
        help="also measure the overview's p99 while a worker imports this many recipes",
    )
    parser.add_argument("--seconds", type=float, default=10, help="the idle window of --front")
    parser.add_argument("--repeat", type=int, default=3, help="pairs of windows for --front")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="sqlite", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="pipeline", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(
        f"load average at start: {os.getloadavg()[0]:.2f}; batch {args.batch}; {LINES} lines + {STEPS} steps per recipe"
    )
    print(
        f"{'database':<11} {'writer':<11} {'recipes':>8} {'seconds':>8} {'recipes/s':>10} {'rows/s':>9} {'RSS +MB':>8}"
    )
    rates: dict[tuple[str, str], float] = {}
    for backend in args.backends:
        runs = [("pipeline", args.recipes)]
        runs += [("bulk_create", args.recipes)] if args.bulk_create else []
        runs += [("naive", args.naive)] if args.naive else []
        runs += [("pipeline", args.memory)] if args.memory else []
        for mode, recipes in runs:
            row = run_child(backend, mode, recipes, args.batch)
            rate = row["recipes"] / row["seconds"]
            rates.setdefault((backend, mode), rate)
            print(f"{backend:<11} {mode:<11} {row['recipes']:>8} {row['seconds']:>8.2f} {rate:>10.0f} "
                  f"{row['rows'] / row['seconds']:>9.0f} {row['rss_growth_mb']:>8.1f}", flush=True)  # fmt: skip
        if (backend, "naive") in rates:
            times = rates[(backend, "pipeline")] / rates[(backend, "naive")]
            print(f"{backend}: the pipeline is {times:.1f}x the naive loop")
    if args.front:
        overview_during_import(recipes=args.front, seconds=args.seconds, repeat=args.repeat)


if __name__ == "__main__":
    main()
