"""Keeping caches and credentials in line with the user table, whatever path changed it (the API, the admin,
``manage.py changepassword``, ``set_password`` + ``save`` in a shell).

A password change or a deactivation revokes every API token of the user; a token row deleted by any path
(the admin, a cascade) is tombstoned in the token cache. The database is written first, then the cache.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from core.feed_tokens import feed_token_hash_refresh
from core.models import AuthToken, User
from core.tokens import token_hashes_forget, tokens_revoke_all, user_cache_forget

_WATCHED = {"password", "is_active"}


@receiver(pre_save, sender=User)
def note_credential_change(sender, instance: User, raw: bool = False, update_fields=None, **kwargs) -> None:
    instance._revoke_tokens = False
    if raw or instance.pk is None:
        return
    if update_fields is not None and not _WATCHED & set(update_fields):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    instance._revoke_tokens = before["password"] != instance.password or (before["is_active"] and not instance.is_active)


@receiver(post_save, sender=User)
def user_saved(sender, instance: User, created: bool = False, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if getattr(instance, "_revoke_tokens", False):
        instance._revoke_tokens = False
        tokens_revoke_all(user_id=instance.pk)
    if created or instance.feed_token_hash is None:
        feed_token_hash_refresh(user=instance)
    user_cache_forget(user_id=instance.pk)


@receiver(post_delete, sender=User)
def user_deleted(sender, instance: User, **kwargs) -> None:
    user_cache_forget(user_id=instance.pk)


@receiver(post_delete, sender=AuthToken)
def token_deleted(sender, instance: AuthToken, **kwargs) -> None:
    token_hashes_forget(key_hashes=[instance.key_hash])
