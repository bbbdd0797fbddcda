from django.urls import path

from kitchen.consumers import PriceConsumer

websocket_urlpatterns = [
    path("ws/kitchen/prices/", PriceConsumer.as_asgi()),
]
