from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.models import User
from core.tokens import user_cache_forget


@receiver([post_save, post_delete], sender=User)
def forget_cached_user(sender, instance: User, **kwargs) -> None:
    user_cache_forget(user_id=instance.pk)
