from __future__ import annotations

import pytest
from django.urls import reverse

from chat.models import Message, Room, RoomMember
from kitchen.models import Recipe
from kitchen.tests.factories import ChefFactory, RecipeFactory

pytestmark = pytest.mark.django_db


class TestRoomPages:
    def test_opening_a_room_page_shows_the_widget_and_writes_nothing(self, chef_client):
        response = chef_client.get("/chat/pass/")
        assert response.status_code == 200
        assert b'data-chat-room="pass"' in response.content
        assert not Room.objects.exists()  # a GET is safe: the socket's join creates the room

    def test_the_room_form_creates_the_room_and_the_membership(self, chef_client, chef):
        response = chef_client.post(reverse("chat:index"), {"name": "pass"})
        assert response["Location"] == "/chat/pass/"
        assert RoomMember.objects.filter(room__name="pass", user=chef.user).exists()

    def test_a_recipe_page_creates_no_room(self, chef_client, chef):
        recipe = RecipeFactory(owner=chef)
        response = chef_client.get(reverse("kitchen:recipe-detail", args=[recipe.pk]))
        assert f'data-chat-room="recipe-{recipe.pk}"'.encode() in response.content
        assert not Room.objects.exists()

    @pytest.mark.parametrize("name", ["x" * 65, "%C3%A9t%C3%A9", "a%20b", "recipe-x", "recipe-424242"])
    def test_bad_or_unknown_room_names_are_404(self, chef_client, name):
        assert chef_client.get(f"/chat/{name}/").status_code == 404
        assert not Room.objects.exists()

    def test_the_room_form_validates_names(self, chef_client):
        response = chef_client.post(reverse("chat:index"), {"name": "no spaces please"})
        assert response.status_code == 400
        assert b"errorlist" in response.content
        response = chef_client.post(reverse("chat:index"), {"name": "line-2"})
        assert response["Location"] == "/chat/line-2/"

    def test_room_list_shows_members_and_activity_and_hides_invisible_recipe_rooms(self, chef_client, chef):
        other = ChefFactory()
        busy = Room.objects.create(name="busy")
        RoomMember.objects.create(room=busy, user=other.user)
        RoomMember.objects.create(room=busy, user=chef.user)
        Message.objects.create(room=busy, author=other.user, body="hi")
        secret = RecipeFactory(owner=other, status=Recipe.Status.DRAFT)
        Room.objects.create(name=f"recipe-{secret.pk}", recipe=secret)

        body = chef_client.get(reverse("chat:index")).content.decode()

        assert "#busy" in body
        assert f"recipe-{secret.pk}" not in body
