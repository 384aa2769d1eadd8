from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Calendar integrations"

    def ready(self) -> None:
        from core import calendar_providers
        from integrations.caldav.services import CalDAVProvider
        from integrations.google.services import GoogleProvider
        from integrations.microsoft.services import MicrosoftProvider

        calendar_providers.register(GoogleProvider())
        calendar_providers.register(CalDAVProvider())
        calendar_providers.register(MicrosoftProvider())
