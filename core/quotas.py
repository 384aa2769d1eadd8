"""How much one person may keep. What people enter themselves (windows and busy time by hand, weekly rules,
imported calendars) is capped per person, so that no account, and anyone can make one, can grow the database
or the slot searches that include it without bound. The caps are settings (config.settings, "Quotas")."""

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError


def check_quota(rows: QuerySet, *, adding: int, limit: int, what: str) -> None:
    """A 400 when a person's ``rows`` of one kind, with ``adding`` more, would be more than ``limit``."""
    have = rows.count()
    if have + adding > limit:
        raise ValidationError(f"A person may keep at most {limit:,} {what}; this one has {have:,}. "
                              "Delete some first.")
