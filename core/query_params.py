"""A query parameter an endpoint does not know is a 400 naming it, not silently ignored (a typo such as
``?emial=`` must not answer with everyone)."""

from django.conf import settings
from rest_framework.exceptions import ValidationError


def check_query_params(request, allowed) -> None:
    """400 for any query parameter not in ``allowed`` (DRF's own ``format`` override is always known)."""
    known_to_drf = {settings.REST_FRAMEWORK.get("URL_FORMAT_OVERRIDE", "format")} - {None}
    unknown = sorted(set(request.query_params) - set(allowed) - known_to_drf)
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise ValidationError({name: [f"Unknown query parameter (this listing takes: {known})."] for name in unknown})
