from __future__ import annotations

from django.urls import path

from expenses.consumers import ExpenseConsumer

websocket_urlpatterns = [path("ws/expenses/", ExpenseConsumer.as_asgi())]
