from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from brigade.config import var_dir
from kitchen.demo import demo_history_backfill, demo_present, load_demo


class Command(BaseCommand):
    help = "Load Brigade's demo chefs, ingredients and recipes once, and print the demo logins."

    def handle(self, *args, **options) -> None:
        logins_file = var_dir() / "demo-logins.txt"
        if demo_present():
            self.stdout.write("Demo data is already loaded.")
            if backfilled := demo_history_backfill():
                self.stdout.write(f"Added {backfilled.recorded} demo price observations (weekly history).")
            if logins_file.exists():
                self.stdout.write(logins_file.read_text())
            return
        logins = load_demo()
        text = "Demo logins (username / password):\n" + "".join(
            f"  {username:<8} {password}\n" for username, password in logins
        )
        logins_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(logins_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(text)
