from django.apps import AppConfig


class ExpensesConfig(AppConfig):
    name = "expenses"

    def ready(self) -> None:
        from expenses import signals  # noqa: F401  (connects them)
