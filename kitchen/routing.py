from django.urls import path

from kitchen.consumers import PriceConsumer, RecipeLiveConsumer

websocket_urlpatterns = [
    path("ws/kitchen/prices/", PriceConsumer.as_asgi()),
    # JSON events; /ws/recipes/<id>/ itself is kept for the co-editing page's binary frames.
    path("ws/recipes/<int:recipe_id>/live/", RecipeLiveConsumer.as_asgi()),
]
