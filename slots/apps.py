from django.apps import AppConfig


class SlotsConfig(AppConfig):
    name = "slots"
    verbose_name = "Availability and busy time"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save, pre_delete

        from slots.models import FreeTimeRow
        from slots.versions import touch

        # The rows' own writes reach ``touch`` through FreeTimeRow. What they hang from (an interview, an imported
        # calendar) deletes them with it, without calling them: its deletion touches the people it holds rows of.
        for model in FreeTimeRow.__subclasses__():
            for field in model._meta.get_fields():
                if field.many_to_one and field.name != "user":
                    def parent_deleted(sender, instance, model=model, field=field, **kwargs):
                        touch(model.objects.filter(**{field.name: instance}).values_list("user_id", flat=True))

                    pre_delete.connect(parent_deleted, sender=field.related_model, weak=False,
                                       dispatch_uid=f"free-time-{model.__name__}-{field.name}")

        # A person's zone is their policy's (the local day of a daily cap), and who they are (their role, whether
        # they are active, whether they exist) decides whether a search of them is answered at all: a cached
        # answer (slots.answers) stands only while none of its people was saved or deleted.
        def person_changed(sender, instance, **kwargs):
            touch([instance.pk])

        post_save.connect(person_changed, sender=get_user_model(), weak=False, dispatch_uid="free-time-user-saved")
        post_delete.connect(person_changed, sender=get_user_model(), weak=False, dispatch_uid="free-time-user-deleted")
