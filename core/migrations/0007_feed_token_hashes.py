"""Store the feed token hash of every user that has none: ``GET /me`` no longer writes it on first read."""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    User = apps.get_model("core", "User")
    for user in User.objects.filter(feed_token_hash__isnull=True).only("pk", "feed_salt"):
        token = hmac.new(settings.SECRET_KEY.encode(), f"feed:{user.pk}:{user.feed_salt}".encode(), hashlib.sha256)
        user_hash = hashlib.sha256(token.hexdigest().encode()).hexdigest()
        User.objects.filter(pk=user.pk).update(feed_token_hash=user_hash)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_rate_counters")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
