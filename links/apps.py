from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "links"
    verbose_name = "Scheduling links"

    def ready(self) -> None:
        from links import receivers  # noqa: F401
