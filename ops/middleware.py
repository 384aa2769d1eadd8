from django.http import JsonResponse

from ops import views


class ProbeMiddleware:
    """Answers GET/HEAD /healthz and /readyz ahead of the rest of the chain: a load balancer or an orchestrator
    probes the process by its address, which is not in ALLOWED_HOSTS, and over plain HTTP (no SSL redirect)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in ("/healthz", "/readyz"):
            request.metrics_view = request.path[1:]
            if request.method not in ("GET", "HEAD"):
                response = JsonResponse(
                    {"error": {"code": "method_not_allowed", "message": f"Method {request.method} is not allowed."}},
                    status=405,
                )
                response["Allow"] = "GET, HEAD"
                return response
            return views.healthz(request) if request.path == "/healthz" else views.readyz(request)
        return self.get_response(request)
