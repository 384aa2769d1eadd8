"""The project's root URLs: the API under /api/v1/, the feeds, the admin, and the JSON 404 for anything else."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import errors
from ops import views as ops_views

handler400 = "core.errors.handler400"
handler403 = "core.errors.handler403"
handler404 = errors.handler404
handler500 = "core.errors.handler500"

api = [
    path("", include("core.urls")),
    path("", include("slots.urls")),
    path("", include("scheduling.urls")),
    path("", include("integrations.urls")),
    path("", include("feeds.api_urls")),
    path("", include("links.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("api/v1/", include(api)),
    path("", include("feeds.urls")),
    path("", include("links.page_urls")),
    path("admin/", admin.site.urls),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics_view, name="metrics"),
    # anything else: the JSON 404 (also with DEBUG on, where Django would answer its HTML debug page), for any
    # method: CSRF-exempt, or a POST would get Django's HTML 403 "CSRF verification failed" instead
    re_path(r"^(?!admin/)", csrf_exempt(handler404), name="not-found"),
]
