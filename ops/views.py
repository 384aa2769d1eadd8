"""Probes and metrics, outside /api/v1/ and without authentication (metrics take a token of their own)."""

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from core.errors import error_body, json_error
from ops import checks, metrics


def healthz(request):
    """The process is up. Touches nothing else."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    results = checks.readiness()
    failed = [name for name, result in results.items() if result != "ok"]
    if failed:
        message = f"Not ready: {', '.join(failed)} not answering."
        return JsonResponse(error_body("unavailable", message, failed=failed, checks=results), status=503)
    return JsonResponse({"status": "ok", "checks": results})


def metrics_view(request):
    token = settings.METRICS_TOKEN
    if not token:
        return json_error("not_found", "There is nothing at this address.", 404)
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = json_error("not_authenticated", "Send the metrics token as 'Authorization: Bearer <token>'.", 401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)
