#!/usr/bin/env python
"""Background work against the front (#13): does a busy worker slow the async overview? And tasks/s by broker.

1. The async overview (/recipes/overview/, set up as in bench/async_views.py: demo data on SQLite,
   an embedded Redis, the stub price service answering in 200 ms) under wrk at c = 50:
   - idle: a Celery worker running with nothing to do, for --seconds;
   - loaded: while the worker runs the daily reports: `send_daily_reports` plans one report per
     active chef (--emails chefs have an address) and fans out one `send_chef_report` task per
     chef, each an HTML + text e-mail through Django's SMTP backend to a real SMTP server on
     loopback (aiosmtpd, tests/smtp.py), which counts them. wrk starts just before the enqueue and
     is stopped when the last e-mail is accepted, so the window covers the work exactly.
   Printed: p50, p99, req/s, the web's CPU per request, the worker's CPU, e-mails/s, and p99
   loaded / p99 idle against the target (within 1.5x).
2. Tasks/s: --tasks no-op tasks (bench/bench_tasks.py, one Redis INCR each) through Redis, then
   RabbitMQ, with the project's task settings (acks_late, prefetch multiplier 1): from the first
   enqueue to the last completion.

Placement on the 2 cores (--placements; each is printed with the results):
  shared — web (uvicorn) and worker (celery prefork, its pool included) both pinned to CPU 0: every
           CPU second the worker spends is taken from the web's core, the load generator's is untouched;
  free   — web and worker not pinned, as `make run` starts them: the worker's pool also runs on
           CPU 1, beside wrk and the stub, so part of what it adds to the p99 is their delay.
Either way wrk, the stub price service, the SMTP server and this process are pinned to CPU 1;
Redis and RabbitMQ are not pinned. Tasks/s runs with the worker placed as in the first placement
and no web. "others" is the CPU used by processes not started here (RabbitMQ's included): the noise.

    .venv/bin/python bench/tasks.py                        # shared and free, 1 run each (~2 minutes)
    .venv/bin/python bench/tasks.py --repeat 3             # medians of three runs per row (~5 minutes)
    .venv/bin/python bench/tasks.py --seconds 5 --emails 200 --tasks 500 --placements shared
    .venv/bin/python bench/tasks.py --worker-nice 0 10     # the worker at its default niceness, then at nice 10
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.async_views import (
    CLIENT_CPU,
    cpu_seconds,
    parse_wrk,
    prepare,
    run_wrk,
    start,
    stub_start,
    uvicorn_command,
    wrk_command,
)
from bench.common import ROOT, free_port, stop
from tests.smtp import SmtpServer

CONCURRENCY = 50
TARGET = 1.5
PLACEMENTS = {"shared": ("0", "0"), "free": ("0,1", "0,1")}  # (web CPUs, worker CPUs)
PLACEMENT_NOTES = {
    "shared": "web and worker pinned together to CPU 0 (taskset -c 0)",
    "free": "web and worker not pinned (both cores), as make run starts them",
}
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"


def chefs_with_mail(total: int) -> int:
    """Add chefs with e-mail addresses until `total` active chefs have one; returns how many have one."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from kitchen.models import Chef

    user_model = get_user_model()
    have = Chef.objects.filter(user__is_active=True).exclude(user__email="").count()
    names = [f"bench-chef-{number:05}" for number in range(max(0, total - have))]
    # An unusable password costs no hashing; nobody logs in as these chefs.
    users = user_model.objects.bulk_create(
        [user_model(username=name, email=f"{name}@brigade.localhost", password=make_password(None)) for name in names]
    )
    Chef.objects.bulk_create([Chef(user=user) for user in users])
    return have + len(users)


# -- The worker -----------------------------------------------------------------------------------


def worker_start(
    env: dict, cpus: str, *, concurrency: int, nice: int, broker_url: str | None, log: Path
) -> subprocess.Popen:
    """`celery -A brigade worker` (prefork, loading bench.bench_tasks) on `cpus`, once it has run a task.

    `broker_url` None: the settings' broker (the embedded Redis)."""
    name = f"bench-{os.getpid()}-{time.monotonic_ns()}"
    command = ["taskset", "-c", cpus, sys.executable, "-m", "celery", "-A", "brigade", "worker", "-I",
               "bench.bench_tasks", "--concurrency", str(concurrency), "--hostname", f"{name}@%h",
               "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]  # fmt: skip
    if nice:
        command = ["nice", "-n", str(nice), *command]
    broker = {"CELERY_BROKER_URL": broker_url} if broker_url else {}
    process = subprocess.Popen(
        command, cwd=ROOT, env={**env, **broker}, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        noop_tasks(1, broker_url, worker=process, limit=60)
    except TimeoutError as error:
        stop(process)
        raise SystemExit(f"{error}:\n{log.read_text()[-3000:]}") from None
    except BaseException:
        stop(process)
        raise
    return process


def noop_tasks(number: int, broker_url: str | None, *, worker: subprocess.Popen, limit: float) -> tuple[float, float]:
    """Enqueue `number` no-op tasks and wait until the worker has run them all: (enqueue s, total s).

    Published on a connection of our own to `broker_url` (None: the settings' broker), so one
    process can feed workers on Redis and on RabbitMQ."""
    from bench.bench_tasks import bench_noop, done_count, done_reset
    from brigade.celery import app

    done_reset()
    started = time.monotonic()
    with app.connection_for_write(broker_url) as connection:
        producer = connection.Producer()
        for task in range(number):
            bench_noop.apply_async((task,), producer=producer)
    enqueued = time.monotonic() - started
    while done_count() < number:
        if worker.poll() is not None or time.monotonic() - started > limit:
            state = "exited" if worker.poll() is not None else f"did not run {number} no-op task(s) in {limit:.0f} s"
            raise TimeoutError(f"the Celery worker {state}")
        time.sleep(0.002)
    return enqueued, time.monotonic() - started


def queue_delete(broker_url: str) -> None:
    """Leave nothing behind on a shared RabbitMQ: the bench's queue and its exchange (both durable)."""
    from django.conf import settings

    from brigade.celery import app

    queue = app.amqp.queues[settings.CELERY_TASK_DEFAULT_QUEUE]
    with app.connection_for_write(broker_url) as connection:
        channel = connection.default_channel
        queue(channel).delete()
        queue.exchange(channel).delete()


# -- Measuring ------------------------------------------------------------------------------------


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process tree, of this process (with its reaped children: wrk)
    and of the whole machine, and the time: what `cpu_used` turns into figures."""
    own = os.times()
    machine = psutil.cpu_times()
    busy = sum(machine) - machine.idle - machine.iowait - machine.guest - machine.guest_nice
    return {
        **{name: cpu_seconds(pid) for name, pid in pids.items()},
        "bench": own.user + own.system + own.children_user + own.children_system,
        "machine": busy,
        "time": time.monotonic(),
    }


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Each tree's CPU seconds in between, and the share of both cores used by processes not ours."""
    used = {name: after[name] - before[name] for name in before}
    ours = sum(seconds for name, seconds in used.items() if name not in {"machine", "time"})
    used["others_pct"] = 100 * max(0.0, used["machine"] - ours) / (used["time"] * (os.cpu_count() or 1))
    return used


def window_figures(figures: dict, before: dict, after: dict) -> dict:
    used = cpu_used(before, after)
    return {
        **figures,
        "window": used["time"],
        "web_ms": used["web"] * 1000 / max(figures["requests"], 1),
        "worker_s": used["worker"],
        "others_pct": used["others_pct"],
        "load": os.getloadavg()[0],
    }


def idle_window(url: str, cookie: str, seconds: float, pids: dict[str, int]) -> dict:
    before = cpu_snapshot(pids)
    figures = run_wrk(url, cookie, CONCURRENCY, seconds)
    return {**window_figures(figures, before, cpu_snapshot(pids)), "phase": "idle"}


def loaded_window(url: str, cookie: str, emails: int, smtp: SmtpServer, limit: float, pids: dict[str, int]) -> dict:
    """wrk from just before the daily reports are enqueued until the SMTP server has every e-mail."""
    from django.utils import timezone

    from notifications.models import DailyReport
    from notifications.tasks import send_daily_reports

    DailyReport.objects.all().delete()  # each run sends the day's reports afresh
    smtp.clear()
    before = cpu_snapshot(pids)
    wrk = subprocess.Popen(wrk_command(url, cookie, CONCURRENCY, limit), stdout=subprocess.PIPE, text=True)
    started = time.monotonic()
    first = last = None
    try:
        send_daily_reports.delay(timezone.localdate().isoformat())
        smtp.wait_for(1, timeout=limit)
        first = time.monotonic() - started
        smtp.wait_for(emails, timeout=limit - first)
        last = time.monotonic() - started
    except AssertionError:  # not all within the limit: the figures say how many
        pass
    finally:
        wrk.send_signal(signal.SIGINT)  # wrk stops and prints its figures so far
        output, _ = wrk.communicate(timeout=30)
    after = cpu_snapshot(pids)
    delivered = len(smtp.envelopes)
    sent = DailyReport.objects.filter(state=DailyReport.State.SENT).count()
    return {**window_figures(parse_wrk(output), before, after), "phase": "loaded", "delivered": delivered,
            "recorded_sent": sent, "first_s": first, "all_s": last}  # fmt: skip


def tasks_rate(
    count: int, broker_url: str | None, worker: subprocess.Popen, pids: dict[str, int], limit: float
) -> dict:
    """Tasks/s of `count` no-op tasks, first enqueue to last completion, after a warm-up of 100."""
    noop_tasks(100, broker_url, worker=worker, limit=limit)  # connections, the queue declared, the pool's children
    before = cpu_snapshot(pids)
    enqueued, total = noop_tasks(count, broker_url, worker=worker, limit=limit)
    used = cpu_used(before, cpu_snapshot(pids))
    return {"tasks": count, "enqueue_s": enqueued, "total_s": total, "rate": count / total,
            "worker_ms": used["worker"] * 1000 / count, "others_pct": used["others_pct"],
            "load": os.getloadavg()[0]}  # fmt: skip


def rabbitmq_up(url: str) -> bool:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception:
        return False
    return True


# -- The run --------------------------------------------------------------------------------------


def main(args: argparse.Namespace) -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench/tasks.py needs wrk: apt-get install wrk")
    var_dir = Path(tempfile.mkdtemp(prefix="brigade-bench-tasks-"))
    smtp = SmtpServer()
    # Every process of this run — this one, the web, the workers — shares one private queue and the SMTP server.
    os.environ.pop("CELERY_BROKER_URL", None)  # Redis first; RabbitMQ is given to its worker only
    os.environ.update({name: str(value) for name, value in smtp.django_settings.items()})
    os.environ["CELERY_QUEUE"] = f"brigade-bench-tasks-{os.getpid()}"
    stub, stub_url = stub_start(var_dir)
    redis_process = None
    loads = [os.getloadavg()]
    windows: list[dict] = []
    rates: list[dict] = []
    try:
        env, cookie, redis_process = prepare(var_dir, stub_url)
        emails = chefs_with_mail(args.emails)
        os.sched_setaffinity(0, {int(CLIENT_CPU)})  # this process and the SMTP server's thread (started next)
        smtp.start()
        print(f"{os.cpu_count()} CPUs; load average at start {loads[0][0]:.2f} {loads[0][1]:.2f} {loads[0][2]:.2f}; "
              f"{emails} chefs with an e-mail address; worker: celery prefork, --concurrency "
              f"{args.worker_concurrency}; wrk, price stub, SMTP server and this process on CPU {CLIENT_CPU}; "
              f"Redis and RabbitMQ not pinned", flush=True)  # fmt: skip
        for placement in args.placements:
            web_cpus, worker_cpus = PLACEMENTS[placement]
            print(f"\n== {placement}: {PLACEMENT_NOTES[placement]}", flush=True)
            port = free_port()
            web = start(uvicorn_command("brigade.asgi:application", port), env, web_cpus, port, var_dir / "web.log")
            try:
                url = f"http://127.0.0.1:{port}/recipes/overview/"
                run_wrk(url, cookie, 5, 3)  # warm up: imports, connections, caches
                for nice in args.worker_nice:
                    worker = worker_start(env, worker_cpus, concurrency=args.worker_concurrency, nice=nice,
                                          broker_url=None, log=var_dir / "worker.log")  # fmt: skip
                    try:
                        pids = {"web": web.pid, "worker": worker.pid, "stub": stub.pid, "redis": redis_process.pid}
                        for attempt in range(1, args.repeat + 1):
                            for row in (idle_window(url, cookie, args.seconds, pids),
                                        loaded_window(url, cookie, emails, smtp, args.limit, pids)):  # fmt: skip
                                row.update(placement=placement, nice=nice, run=attempt, emails=emails)
                                windows.append(row)
                                print_window(row)
                    finally:
                        stop(worker)
            finally:
                stop(web)
        worker_cpus = PLACEMENTS[args.placements[0]][1]
        print(f"\n== tasks/s: worker placed as in '{args.placements[0]}' (CPUs {worker_cpus}), no web", flush=True)
        for broker in args.brokers:
            broker_url = None if broker == "redis" else args.rabbitmq
            if broker_url is not None and not rabbitmq_up(broker_url):
                print(f"RabbitMQ does not answer at {broker_url.split('@')[-1]}: skipped (rabbitmq-server -detached)")
                continue
            try:
                worker = worker_start(env, worker_cpus, concurrency=args.worker_concurrency, nice=0,
                                      broker_url=broker_url, log=var_dir / f"worker-{broker}.log")  # fmt: skip
                try:
                    pids = {"worker": worker.pid, "stub": stub.pid, "redis": redis_process.pid}
                    for attempt in range(1, args.repeat + 1):
                        rate = tasks_rate(args.tasks, broker_url, worker, pids, args.limit)
                        rate.update(broker=broker, run=attempt)
                        rates.append(rate)
                        print_rate(rate)
                finally:
                    stop(worker)
            finally:
                if broker_url is not None:  # the worker declared them, even if it never got going
                    queue_delete(broker_url)
    finally:
        smtp.stop()
        stop(stub)
        if redis_process is not None:
            from brigade import embedded_redis

            embedded_redis.stop(redis_process)
    loads.append(os.getloadavg())
    print_tables(windows, rates, args, loads)


# -- Output ---------------------------------------------------------------------------------------


def worker_label(row: dict, concurrency: int) -> str:
    return f"prefork x{concurrency}" + (f", nice {row['nice']}" if row["nice"] else "")


def mail_note(row: dict) -> str:
    if row["phase"] == "idle":
        return "-"
    if row["all_s"] is None:
        return f"only {row['delivered']} of {row['emails']} within {row['window']:.0f} s"
    return f"{row['delivered']} in {row['all_s']:.1f} s ({row['delivered'] / row['all_s']:.0f}/s)"


def print_window(row: dict) -> None:
    print(f"{row['placement']:>6} nice {row['nice']:>2} run {row['run']} {row['phase']:>6}: {row['window']:5.1f} s  "
          f"p50 {row['p50']:6.1f} ms  p99 {row['p99']:6.1f} ms  {row['rps']:6.1f} req/s  web {row['web_ms']:.2f} "
          f"CPU ms/req  worker {row['worker_s']:5.1f} CPU s  errors {row['errors']}  e-mails {mail_note(row)}  "
          f"others {row['others_pct']:3.0f}% of the CPUs  load {row['load']:.2f}", flush=True)  # fmt: skip
    if row["phase"] == "loaded" and row["recorded_sent"] != row["delivered"]:
        print(f"   note: {row['recorded_sent']} reports recorded as sent, {row['delivered']} e-mails received")


def print_rate(rate: dict) -> None:
    print(f"{rate['broker']:>8} run {rate['run']}: {rate['tasks']} tasks in {rate['total_s']:.2f} s "
          f"(enqueued in {rate['enqueue_s']:.2f} s) = {rate['rate']:.0f} tasks/s, worker "
          f"{rate['worker_ms']:.2f} CPU ms/task, others {rate['others_pct']:.0f}% of the CPUs, "
          f"load {rate['load']:.2f}", flush=True)  # fmt: skip


def median_by(rows: list[dict], field: str) -> dict:
    ordered = sorted(rows, key=lambda row: row[field])
    return ordered[(len(ordered) - 1) // 2]


def print_tables(windows: list[dict], rates: list[dict], args: argparse.Namespace, loads: list) -> None:
    concurrency = args.worker_concurrency
    print(f"\nLoad average {loads[0][0]:.2f} at the start, {loads[-1][0]:.2f} at the end (1 min; 2 cores).")
    print(f"\nThe async overview at c = {CONCURRENCY} with the worker idle, then sending the daily reports "
          f"(runs: {args.repeat}; the run with the median p99 of each row, the range of all):\n")  # fmt: skip
    print(
        "| placement | worker | phase | window s | p50 ms | p99 ms (median; range) | req/s | web CPU ms/req "
        "| worker CPU s | e-mails | others' CPU % | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for placement in args.placements:
        for nice in args.worker_nice:
            group = [row for row in windows if (row["placement"], row["nice"]) == (placement, nice)]
            if not group:
                continue
            medians = {}
            for phase in ("idle", "loaded"):
                rows = [row for row in group if row["phase"] == phase]
                chosen = medians[phase] = median_by(rows, "p99")
                errors = sum(row["errors"] for row in rows)
                spread = f"{min(r['p99'] for r in rows):.0f}-{max(r['p99'] for r in rows):.0f}" if len(rows) > 1 else ""
                print(f"| {placement} | {worker_label(chosen, concurrency)} | {phase} | {chosen['window']:.1f} | "
                      f"{chosen['p50']:.1f} | {chosen['p99']:.1f}{' (' + spread + ')' if spread else ''} | "
                      f"{chosen['rps']:.1f} | {chosen['web_ms']:.2f} | {chosen['worker_s']:.1f} | "
                      f"{mail_note(chosen)} | {chosen['others_pct']:.0f} | {errors} |")  # fmt: skip
            # Each run's loaded window against its own idle one, minutes apart: the machine's noise drifts.
            ratios = [loaded["p99"] / idle["p99"] for idle, loaded in pairs(group)]
            ratio = statistics.median(ratios)
            of_medians = medians["loaded"]["p99"] / medians["idle"]["p99"]
            verdicts.append(
                f"{placement}, {worker_label(medians['idle'], concurrency)}: p99 loaded / idle = {ratio:.2f}x, "
                f"the median of the runs' ratios ({', '.join(f'{r:.2f}x' for r in ratios)}; ratio of the medians "
                f"{of_medians:.2f}x) - target {TARGET}x " + ("met" if ratio <= TARGET else "missed")
            )
    print()
    for verdict in verdicts:
        print(verdict)
    if rates:
        print(f"\nTasks/s, {args.tasks} no-op tasks (first enqueue to last completion; median of {args.repeat}):\n")
        print("| broker | tasks/s (median; runs) | enqueue s | total s | worker CPU ms/task | others' CPU % |")
        print("|---|---|---|---|---|---|")
        for broker in args.brokers:
            rows = [rate for rate in rates if rate["broker"] == broker]
            if not rows:
                continue
            chosen = median_by(rows, "rate")
            runs = ", ".join(f"{rate['rate']:.0f}" for rate in rows)
            print(f"| {broker} | {chosen['rate']:.0f} ({runs}) | {chosen['enqueue_s']:.2f} | {chosen['total_s']:.2f} | "
                  f"{chosen['worker_ms']:.2f} | {chosen['others_pct']:.0f} |")  # fmt: skip


def pairs(group: list[dict]) -> list[tuple[dict, dict]]:
    """(idle, loaded) of each run, in order."""
    runs = sorted({row["run"] for row in group})
    by = {(row["run"], row["phase"]): row for row in group}
    return [(by[(run, "idle")], by[(run, "loaded")]) for run in runs]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15, help="the idle window (the loaded one lasts the work)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per row; medians are shown")
    parser.add_argument("--emails", type=int, default=1000, help="chefs with an e-mail address: reports to send")
    parser.add_argument("--tasks", type=int, default=2000, help="no-op tasks per tasks/s run")
    parser.add_argument("--placements", nargs="+", default=["shared", "free"], choices=list(PLACEMENTS))
    parser.add_argument("--brokers", nargs="+", default=["redis", "rabbitmq"], choices=["redis", "rabbitmq"])
    parser.add_argument("--rabbitmq", default=RABBITMQ, help="the RabbitMQ URL for the tasks/s run")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="pool processes (make run's default: 2)")
    parser.add_argument("--worker-nice", type=int, nargs="+", default=[0], help="run the worker at these niceness")
    parser.add_argument("--limit", type=float, default=300, help="give up on a loaded window or tasks/s run after")
    main(parser.parse_args())
