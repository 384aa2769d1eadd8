"""Store every email in its one normal form (core.emails: NFKC + casefold).

An address whose normal form another user already has is left as it is (and logged): two accounts cannot be
merged by a migration. The older account keeps the address; an operator settles the other by hand.
"""

import logging

from django.db import migrations

from core.emails import normalize_email

logger = logging.getLogger(__name__)


def forwards(apps, schema_editor):
    User = apps.get_model("core", "User")
    taken = set()
    users = list(User.objects.order_by("id").values_list("id", "email"))
    for _, email in users:
        if email == normalize_email(email):
            taken.add(email)
    for pk, email in users:
        normal = normalize_email(email)
        if normal == email:
            continue
        if normal in taken:
            logger.warning("User %s keeps the email %r: another user has its normal form %r.", pk, email, normal)
            continue
        User.objects.filter(pk=pk).update(email=normal)
        taken.add(normal)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_schedules")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
