"""On PostgreSQL, a live server's database calls borrow pooled connections instead of opening one each."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from chat.models import Message
from kitchen.tests.factories import ChefFactory
from tests.test_chat_live import Client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

POOL_MAX_SIZE = 10  # DB_POOL_MAX's default: the most connections the pool may open
CHEFS = 4
MESSAGES_EACH = 10  # within the chat's rate limit burst


def sessions_opened(database: str) -> int:
    """PostgreSQL's count of sessions ever established to `database` (counted at connect)."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    ) as monitor:
        monitor.execute("SELECT pg_stat_clear_snapshot()")
        row = monitor.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [database]).fetchone()
    return row[0]


def test_many_socket_database_calls_open_no_connection_each(live_server_url, session_cookie):
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's (run with DATABASE_URL=postgres://...)")
    database = connection.settings_dict["NAME"]
    chefs = [ChefFactory(user__username=f"pooled-{i}").user for i in range(CHEFS)]
    clients = [Client(live_server_url, "pooled", session_cookie(chef)) for chef in chefs]
    for client in clients:  # the server has talked to the database before we count
        client.send({"type": "sync", "after": None})
        client.receive("history")

    # When the chefs send messages and catch up on history: every one a database call
    before = sessions_opened(database)
    calls = 0
    for n in range(MESSAGES_EACH):
        for client in clients:
            client.send({"type": "message", "body": f"pooled {n}", "client_id": f"p{n}"})
            assert client.receive("ack", "error")["type"] == "ack"
            client.send({"type": "sync", "after": None})
            client.receive("history")
            calls += 2
    opened = sessions_opened(database) - before

    # Then they were served by the pool's connections, not a new PostgreSQL session each
    for client in clients:
        client.close()
    assert Message.objects.filter(room__name="pooled").count() == CHEFS * MESSAGES_EACH
    assert calls == 80
    assert opened <= POOL_MAX_SIZE, f"{opened} PostgreSQL sessions opened for {calls} database calls"
