"""A query parameter an endpoint does not know is a 400 naming it, not silently ignored (a typo such as
``?emial=`` must not answer with everyone)."""

from rest_framework.exceptions import ValidationError


def check_query_params(request, allowed) -> None:
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise ValidationError({name: [f"Unknown query parameter (this listing takes: {known})."] for name in unknown})
