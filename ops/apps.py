from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django_q.signals import post_execute

        from ops import receivers, system_checks  # noqa: F401

        post_migrate.connect(receivers.create_cache_table, sender=self)
        post_execute.connect(receivers.count_task, dispatch_uid="ops-count-task")
