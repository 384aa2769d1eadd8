from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.core.signals import request_started

        from core import schema, signals  # noqa: F401
        from core.observability import clear_request_context

        request_started.connect(clear_request_context, dispatch_uid="core-clear-request-context")
