"""/api/expenses, /api/expense-categories and /api/expense-settings: a user's own, through the same
services as the page and the socket. Amounts travel as strings ("12.50"), never as JSON numbers."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import AfterValidator

from core.api import DbId, In, PageIn, Text, responses
from core.types import ApiRequest
from expenses import inputs, services
from expenses.models import DESCRIPTION_MAX, Expense, ExpenseCategory
from expenses.selectors import expense_as_event, month_summary, month_totals, settings_of

router = Router(tags=["expenses"])
ExpenseId = Annotated[int, Field(ge=1, lt=2**63)]


def _field(check: Any) -> AfterValidator:
    """An expenses/inputs.py rule as a pydantic validator: its message becomes the 422's."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except ValidationError as error:
            raise ValueError(error.messages[0]) from None

    return AfterValidator(run)


def _amount(value: str) -> str:
    inputs.amount_parse(value)  # the clear message for what is wrong
    if not re.fullmatch(inputs.AMOUNT_PATTERN, value):  # and nothing the schema's pattern refuses
        raise ValidationError("Write the amount as digits with at most 2 decimals, such as 12.50.")
    return value


LIMIT_PATTERN = r"^[0-9]{1,10}(?:\.[0-9]{1,2})?$"


def _limit(value: str) -> str:
    if not value.strip():
        raise ValidationError('Send null for no limit, or a limit such as "500.00".')
    inputs.limit_parse(value)
    if not re.fullmatch(LIMIT_PATTERN, value):
        raise ValidationError("Write the limit as digits with at most 2 decimals, such as 500.00.")
    return value


Amount = Annotated[
    str,
    Field(description=f"In {settings.PRICE_CURRENCY}, as a string: more than 0, at most 1000000, 2 decimals at most.",
          examples=["12.50"], json_schema_extra={"pattern": inputs.AMOUNT_PATTERN}),
    _field(_amount),
]  # fmt: skip
Limit = Annotated[
    str,
    Field(description="A monthly limit as a string (more than 0, 2 decimals at most); null for none.",
          examples=["500.00"], json_schema_extra={"pattern": LIMIT_PATTERN}),
    _field(_limit),
]  # fmt: skip
Day = Annotated[
    str,
    Field(description="YYYY-MM-DD: from five years back to tomorrow.", json_schema_extra={"format": "date"}),
    _field(lambda value: inputs.date_parse(value) and value),
]
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(?:0[1-9]|1[0-2])$", description="YYYY-MM", examples=["2026-12"])]
Currency = Annotated[
    str,
    Field(description="Optional; only the kitchen's currency is accepted.",
          json_schema_extra={"enum": [settings.PRICE_CURRENCY]}),
    _field(lambda value: inputs.currency_check(value) or value),
]  # fmt: skip
Description = Annotated[Text, Field(max_length=DESCRIPTION_MAX)]


class CategoryRef(Schema):
    id: int
    name: str


class ExpenseOut(Schema):
    id: int
    amount: str
    date: str
    month: str
    description: str
    category: CategoryRef | None


class ExpensePage(Schema):
    count: int
    items: list[ExpenseOut]


class ExpenseIn(In):
    amount: Amount
    date: Day
    description: Description = ""
    category_id: DbId | None = None
    currency: Currency | None = None


class ExpensePatch(In):
    amount: Amount | None = None
    date: Day | None = None
    description: Description | None = None
    category_id: DbId | None = None
    currency: Currency | None = None


class MonthFilter(PageIn):
    month: Month | None = None


class GaugeOut(Schema):
    total: str
    limit: str | None
    percent: int | None
    level: str | None


class CategoryTotalOut(GaugeOut):
    id: int | None
    name: str


class SummaryOut(GaugeOut):
    month: str
    currency: str
    categories: list[CategoryTotalOut]


class CategoryOut(Schema):
    id: int
    name: str
    monthly_limit: str | None


class CategoryIn(In):
    name: Annotated[str, Field(min_length=1, max_length=60)]
    monthly_limit: Limit | None = None


class SettingsOut(Schema):
    monthly_limit: str | None
    notifications: bool


class SettingsIn(In):
    monthly_limit: Limit | None = None
    notifications: bool = True


def _month(text: str | None) -> date:
    return inputs.month_parse(text) if text else timezone.localdate().replace(day=1)


def _changes(payload: Schema) -> dict[str, object]:
    data = payload.dict(exclude_unset=True)
    if "category_id" in data:
        data["category"] = data.pop("category_id")
    return data


def _expense(user_id: int, expense_id: int) -> dict[str, Any]:
    expense = Expense.objects.select_related("category").filter(pk=expense_id, owner_id=user_id).first()
    if expense is None:
        raise Http404("no such expense among yours")
    return expense_as_event(expense)


def _write(call: Any, **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except services.NotFound as error:
        raise Http404(f"{error} among yours") from None


def _category_out(category: ExpenseCategory) -> dict[str, Any]:
    limit = category.monthly_limit
    return {"id": category.pk, "name": category.name, "monthly_limit": None if limit is None else f"{limit:f}"}


# -- Expenses -----------------------------------------------------------------------------------


@router.get("/expenses", response=responses({200: ExpensePage}), summary="Your expenses of a month (default: this one)")
async def list_expenses(request: ApiRequest, filters: Query[MonthFilter]):
    month = _month(filters.month)
    queryset = Expense.objects.filter(owner_id=request.auth.pk, date__gte=month, date__lt=inputs.month_end(month))
    page = queryset.select_related("category").order_by("-date", "-id")[filters.offset : filters.offset + filters.limit]
    return {"count": await queryset.acount(), "items": [expense_as_event(e) async for e in page]}


@router.get("/expenses/summary", response=responses({200: SummaryOut}), summary="A month's totals against limits")
async def expenses_summary(request: ApiRequest, month: Query[Month | None] = None):
    totals = await sync_to_async(month_totals)(user_id=request.auth.pk, month=_month(month))
    return month_summary(totals)


@router.post("/expenses", response=responses({201: ExpenseOut}))
async def create_expense(request: ApiRequest, payload: ExpenseIn):
    data = _changes(payload)
    expense = await sync_to_async(lambda: services.expense_add(user=request.auth, data=inputs.expense_input(**data)))()
    return Status(201, expense_as_event(expense))


@router.get("/expenses/{expense_id}", response=responses({200: ExpenseOut}))
async def get_expense(request: ApiRequest, expense_id: ExpenseId):
    return await sync_to_async(_expense)(request.auth.pk, expense_id)


@router.patch("/expenses/{expense_id}", response=responses({200: ExpenseOut}))
async def update_expense(request: ApiRequest, payload: ExpensePatch, expense_id: ExpenseId):
    expense = await sync_to_async(_write)(
        services.expense_update, user=request.auth, expense_id=expense_id, changes=_changes(payload)
    )
    return expense_as_event(expense)


@router.delete("/expenses/{expense_id}", response=responses({204: None}))
async def delete_expense(request: ApiRequest, expense_id: ExpenseId):
    await sync_to_async(_write)(services.expense_delete, user=request.auth, expense_id=expense_id)
    return Status(204, None)


# -- Categories and settings ----------------------------------------------------------------------


@router.get("/expense-categories", response=responses({200: list[CategoryOut]}))
async def list_categories(request: ApiRequest):
    return [_category_out(c) async for c in ExpenseCategory.objects.filter(owner_id=request.auth.pk)]


@router.post("/expense-categories", response=responses({201: CategoryOut}))
async def create_category(request: ApiRequest, payload: CategoryIn):
    category = await sync_to_async(services.category_create)(
        user_id=request.auth.pk, name=payload.name, monthly_limit=payload.monthly_limit
    )
    return Status(201, _category_out(category))


@router.put("/expense-categories/{category_id}", response=responses({200: CategoryOut}))
async def update_category(request: ApiRequest, payload: CategoryIn, category_id: ExpenseId):
    category = await sync_to_async(_write)(services.category_update, user_id=request.auth.pk, category_id=category_id,
                                           name=payload.name, monthly_limit=payload.monthly_limit)  # fmt: skip
    return _category_out(category)


@router.delete("/expense-categories/{category_id}", response=responses({204: None}))
async def delete_category(request: ApiRequest, category_id: ExpenseId):
    await sync_to_async(_write)(services.category_delete, user_id=request.auth.pk, category_id=category_id)
    return Status(204, None)


@router.get("/expense-settings", response=responses({200: SettingsOut}))
async def get_settings(request: ApiRequest):
    found = await sync_to_async(settings_of)(user_id=request.auth.pk)
    return {"monthly_limit": None if found.monthly_limit is None else f"{found.monthly_limit:f}",
            "notifications": found.notifications}  # fmt: skip


@router.put("/expense-settings", response=responses({200: SettingsOut}))
async def update_settings(request: ApiRequest, payload: SettingsIn):
    found = await sync_to_async(services.expense_settings_update)(
        user_id=request.auth.pk, monthly_limit=payload.monthly_limit, notifications=payload.notifications
    )
    return {"monthly_limit": None if found.monthly_limit is None else f"{found.monthly_limit:f}",
            "notifications": found.notifications}  # fmt: skip
