from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from brigade.asgi import application
from core.health import record_beat_heartbeat
from tests.helpers import ws_open

ORIGIN = [(b"origin", b"http://localhost")]


@pytest.mark.django_db
class TestHealthz:
    def test_reports_each_part_and_names_the_missing_worker(self, client):
        # No Celery worker runs in unit tests, so the worker check must fail and say so.
        record_beat_heartbeat()
        response = client.get("/healthz")
        body = response.json()
        assert response.status_code == 503
        assert body["failing"] == ["celery_workers"]
        assert body["parts"]["database"]["ok"] is True
        assert body["parts"]["redis"]["ok"] is True
        assert body["parts"]["channel_layer"]["ok"] is True
        assert body["parts"]["celery_beat"]["ok"] is True


@pytest.mark.django_db(transaction=True)
class TestHealthSocket:
    async def test_ping_gets_pong(self):
        communicator = WebsocketCommunicator(application, "/ws/health/", headers=ORIGIN)
        connected, _ = await communicator.connect()
        assert connected
        await communicator.send_to(text_data='{"type": "ping"}')
        assert await communicator.receive_json_from() == {"type": "pong"}
        await communicator.disconnect()

    @pytest.mark.parametrize(
        "frame",
        ["not json", '{"type": "dance"}', "[" * 20000, '{"type": "ping", "x": NaN}', b"\x00\x01"],
    )
    async def test_bad_frames_get_an_error_and_the_socket_stays_open(self, frame):
        communicator = WebsocketCommunicator(application, "/ws/health/", headers=ORIGIN)
        await communicator.connect()
        if isinstance(frame, bytes):
            await communicator.send_to(bytes_data=frame)
        else:
            await communicator.send_to(text_data=frame)
        reply = await communicator.receive_json_from()
        assert reply["type"] == "error"
        assert reply["code"]
        await communicator.send_to(text_data='{"type": "ping"}')
        assert await communicator.receive_json_from() == {"type": "pong"}
        await communicator.disconnect()

    async def test_unknown_paths_are_refused_not_crashed(self):
        communicator = WebsocketCommunicator(application, "/ws/nowhere/\u00e9/", headers=ORIGIN)
        assert await ws_open(communicator) == (None, 4404)

    async def test_foreign_origins_are_refused(self):
        communicator = WebsocketCommunicator(
            application, "/ws/health/", headers=[(b"origin", b"https://evil.example.com")]
        )
        connected, _ = await communicator.connect()
        assert not connected


@pytest.mark.django_db
def test_the_tasks_page_shows_each_part(chef_client):
    body = chef_client.get("/tasks/").content.decode()
    assert "Celery workers" in body
    assert "down" in body  # no worker runs in unit tests
