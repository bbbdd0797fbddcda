from django.urls import path

from kitchen.consumers import PriceConsumer, RecipeDocumentConsumer, RecipeLiveConsumer

websocket_urlpatterns = [
    path("ws/kitchen/prices/", PriceConsumer.as_asgi()),
    # The shared document, binary y-protocols frames; no trailing slash: y-websocket's client
    # connects to <server url>/<room name>.
    path("ws/recipes/<int:recipe_id>", RecipeDocumentConsumer.as_asgi()),
    # JSON events (cost, write-back reports).
    path("ws/recipes/<int:recipe_id>/live/", RecipeLiveConsumer.as_asgi()),
]
