from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from core import schema, signals  # noqa: F401
