from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from core import schema, signals  # noqa: F401
        from core.observability import clear_request_context

        # a request's log context lives from its start to the close of its answer (after Django's own log line)
        request_started.connect(clear_request_context, dispatch_uid="core-clear-request-context")
        request_finished.connect(clear_request_context, dispatch_uid="core-clear-request-context-end")
