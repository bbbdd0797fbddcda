from django.apps import AppConfig


class KitchenConfig(AppConfig):
    name = "kitchen"

    def ready(self) -> None:
        from kitchen import signals

        signals.connect()
