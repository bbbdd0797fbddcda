"""Demo expenses for the head chef of a fresh install: three categories with limits, two months of spending."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from expenses.models import Expense, ExpenseCategory, ExpenseSettings

DEMO_CATEGORIES = [("Produce", "1200"), ("Dairy", "400"), ("Equipment", None)]
DEMO_ITEMS = {
    "Produce": ["Shallots and leeks", "Herbs (market)", "Seasonal fruit", "Potatoes, 25 kg"],
    "Dairy": ["Butter and cream", "Cheese board", "Milk delivery"],
    "Equipment": ["Knife sharpening", "New sauté pan", "Piping bags"],
}


def load_demo_expenses(*, user_id: int, days: int = 60) -> int:
    """Write the demo rows directly (no e-mails); beat's limit check alerts what they cross."""
    ExpenseSettings.objects.filter(user_id=user_id).update(monthly_limit=Decimal("3000"))
    categories = {
        name: ExpenseCategory.objects.create(
            owner_id=user_id, name=name, monthly_limit=Decimal(limit) if limit else None
        )
        for name, limit in DEMO_CATEGORIES
    }
    rng = random.Random(20261207)  # noqa: S311 - demo figures, not a secret
    today, now = timezone.localdate(), timezone.now()
    rows = []
    for back in range(days):
        for _ in range(rng.randint(0, 2)):
            name = rng.choice(list(categories))
            amount = (
                Decimal(rng.randint(800, 9000)) / 100
                if name != "Equipment"
                else Decimal(rng.randint(1500, 12000)) / 100
            )
            day = today - timedelta(days=back)
            description = rng.choice(DEMO_ITEMS[name])
            rows.append(Expense(owner_id=user_id, category=categories[name], amount=amount, date=day,
                                description=description, mailed_at=now))  # fmt: skip
    Expense.objects.bulk_create(rows)
    return len(rows)
