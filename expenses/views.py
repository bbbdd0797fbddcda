"""The Expenses pages: the month (list, totals against limits, chart, live), an edit page for
browsers without script, and settings (limit, notifications, categories). Thin: every change goes
through expenses/services.py, as the API's and the socket's do."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.types import AuthenticatedHttpRequest
from expenses import inputs, services
from expenses.forms import CategoryForm, ExpenseForm, SettingsForm, errors_into
from expenses.models import Expense, ExpenseCategory
from expenses.selectors import month_state, month_text, settings_of


def _month(request: AuthenticatedHttpRequest) -> date:
    text = request.GET.get("month") or request.POST.get("month")
    if text:
        try:
            return inputs.month_parse(text)
        except ValidationError:
            pass
    return timezone.localdate().replace(day=1)


def _categories(user_id: int) -> list[ExpenseCategory]:
    return list(ExpenseCategory.objects.filter(owner_id=user_id))


def _index_url(month: date) -> str:
    return f"{reverse('expenses:index')}?month={month_text(month)}"


def _page(
    request: AuthenticatedHttpRequest, *, month: date, form: ExpenseForm | None = None, status: int = 200
) -> HttpResponse:
    categories = _categories(request.user.pk)
    state = month_state(user_id=request.user.pk, month=month)
    previous = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    context: dict[str, Any] = {
        "month": month,
        "state": state,
        "previous": month_text(previous),
        "next": month_text(inputs.month_end(month)),
        "is_current": month == timezone.localdate().replace(day=1),
        "form": form or ExpenseForm(categories=categories, initial={"date": _default_day(month).isoformat()}),
        "categories": categories,
        "has_more": state["count"] > len(state["expenses"]),
    }
    return render(request, "expenses/index.html", context, status=status)


def _default_day(month: date) -> date:
    today = timezone.localdate()
    return today if month == today.replace(day=1) else month


@login_required
@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request, month=_month(request))


@login_required
@require_POST
def expense_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ExpenseForm(request.POST, categories=_categories(request.user.pk))
    if form.is_valid():
        try:
            expense = services.expense_add(user=request.user, data=form.cleaned_data["input"])
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, f"Expense of {expense.amount} added.")
            return redirect(_index_url(expense.date.replace(day=1)))
    return _page(request, month=_month(request), form=form, status=400)


def _mine(request: AuthenticatedHttpRequest, expense_id: int) -> Expense:
    expense = Expense.objects.filter(pk=expense_id, owner_id=request.user.pk).select_related("category").first()
    if expense is None:
        raise Http404("No such expense among yours.")
    return expense


@login_required
@require_http_methods(["GET", "POST"])
def expense_edit(request: AuthenticatedHttpRequest, expense_id: int) -> HttpResponse:
    expense = _mine(request, expense_id)
    categories = _categories(request.user.pk)
    if request.method == "POST":
        form = ExpenseForm(request.POST, categories=categories)
        if form.is_valid():
            data = form.cleaned_data["input"]
            changes = {
                "amount": data.amount,
                "date": data.date,
                "description": data.description,
                "category": data.category_id,
            }
            try:
                services.expense_update(user=request.user, expense_id=expense.pk, changes=changes)
            except ValidationError as error:
                errors_into(form, error)
            else:
                messages.success(request, "Expense saved.")
                return redirect(_index_url(data.date.replace(day=1)))
        status = 400
    else:
        form = ExpenseForm(
            categories=categories,
            initial={
                "amount": f"{expense.amount:f}",
                "date": expense.date.isoformat(),
                "description": expense.description,
                "category": expense.category_id or "",
            },
        )
        status = 200
    return render(request, "expenses/edit.html", {"form": form, "expense": expense}, status=status)


@login_required
@require_POST
def expense_delete(request: AuthenticatedHttpRequest, expense_id: int) -> HttpResponse:
    expense = _mine(request, expense_id)
    services.expense_delete(user=request.user, expense_id=expense.pk)
    messages.success(request, "Expense deleted.")
    return redirect(_index_url(expense.date.replace(day=1)))


# -- Settings and categories ---------------------------------------------------------------------


def _settings_page(
    request: AuthenticatedHttpRequest,
    *,
    form: SettingsForm | None = None,
    category_form: CategoryForm | None = None,
    status: int = 200,
) -> HttpResponse:
    found = settings_of(user_id=request.user.pk)
    limit = "" if found.monthly_limit is None else f"{found.monthly_limit:f}"
    context = {
        "form": form or SettingsForm(initial={"monthly_limit": limit, "notifications": found.notifications}),
        "category_form": category_form or CategoryForm(),
        "categories": _categories(request.user.pk),
    }
    return render(request, "expenses/settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _settings_page(request)
    form = SettingsForm(request.POST)
    if form.is_valid():
        try:
            services.expense_settings_update(
                user_id=request.user.pk,
                monthly_limit=form.cleaned_data["monthly_limit"],
                notifications=form.cleaned_data["notifications"],
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, "Settings saved.")
            return redirect("expenses:settings")
    return _settings_page(request, form=form, status=400)


@login_required
@require_POST
def category_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            category = services.category_create(
                user_id=request.user.pk,
                name=form.cleaned_data["name"],
                monthly_limit=form.cleaned_data["monthly_limit"],
            )
        except ValidationError as error:
            errors_into(form, error)
        else:
            messages.success(request, f"Category {category.name} added.")
            return redirect("expenses:settings")
    return _settings_page(request, category_form=form, status=400)


@login_required
@require_POST
def category_edit(request: AuthenticatedHttpRequest, category_id: int) -> HttpResponse:
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            services.category_update(
                user_id=request.user.pk,
                category_id=category_id,
                name=form.cleaned_data["name"],
                monthly_limit=form.cleaned_data["monthly_limit"],
            )
        except services.NotFound:
            raise Http404("No such category among yours.") from None
        except ValidationError as error:
            for messages_ in error.message_dict.values():
                for message in messages_:
                    messages.error(request, message)
            return redirect("expenses:settings")
        messages.success(request, "Category saved.")
        return redirect("expenses:settings")
    for field_errors in form.errors.values():
        for field_error in field_errors:
            messages.error(request, str(field_error))
    return redirect("expenses:settings")


@login_required
@require_POST
def category_delete(request: AuthenticatedHttpRequest, category_id: int) -> HttpResponse:
    try:
        services.category_delete(user_id=request.user.pk, category_id=category_id)
    except services.NotFound:
        raise Http404("No such category among yours.") from None
    messages.success(request, "Category deleted; its expenses are kept, uncategorised.")
    return redirect("expenses:settings")
