from django.http import JsonResponse

from ops import views

_PATHS = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics_view}


class ProbeMiddleware:
    """Answers GET/HEAD /healthz, /readyz and /metrics ahead of the rest of the chain: a load balancer, an
    orchestrator or a Prometheus scraper reaches each process by its address, which is not in ALLOWED_HOSTS,
    and over plain HTTP (no SSL redirect). /metrics still asks for its token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = _PATHS.get(request.path)
        if view is None:
            return self.get_response(request)
        request.metrics_view = request.path[1:]
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse(
                {"error": {"code": "method_not_allowed", "message": f"Method {request.method} is not allowed."}},
                status=405,
            )
            response["Allow"] = "GET, HEAD"
            return response
        return view(request)
