from django.contrib import admin

from chat.models import Message, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "recipe", "created_by", "created_at", "last_message_at"]
    search_fields = ["name"]
    raw_id_fields = ["recipe", "created_by"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["room", "author", "created_at", "body"]
    list_filter = ["room"]
    search_fields = ["body", "author__username"]
    list_select_related = ["room", "author"]
    raw_id_fields = ["room", "author"]
