from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import errors, views
from core.routes import route
from feeds.views import FeedRotateView, FeedView
from slots import views as slot_views

handler400 = "core.errors.handler400"
handler403 = "core.errors.handler403"
handler404 = errors.handler404
handler500 = "core.errors.handler500"

api = [
    *route("auth/register", views.RegisterView.as_view(), name="register"),
    *route("auth/token", views.TokenView.as_view(), name="token"),
    *route("auth/logout", views.LogoutView.as_view(), name="logout"),
    *route("me", views.MeView.as_view(), name="me"),
    *route("me/password", views.PasswordView.as_view(), name="me-password"),
    *route("me/feed/rotate", FeedRotateView.as_view(), name="feed-rotate"),
    *route("users/", views.UserListView.as_view(), name="users"),
    *route("availability/", slot_views.AvailabilityListView.as_view(), name="availability"),
    *route("availability/weekly/", slot_views.WeeklyRuleListView.as_view(), name="weekly-rules"),
    *route("availability/weekly/<int:pk>/", slot_views.WeeklyRuleDetailView.as_view(), name="weekly-rule"),
    *route("availability/<int:pk>/", slot_views.AvailabilityDetailView.as_view(), name="availability-detail"),
    *route("busy/", slot_views.BusyListView.as_view(), name="busy"),
    *route("busy/<int:pk>/", slot_views.BusyDetailView.as_view(), name="busy-detail"),
    *route("slots/", slot_views.SlotsView.as_view(), name="slots"),
    path("", include("scheduling.urls")),
    path("", include("integrations.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("api/v1/", include(api)),
    path("feeds/<str:token>.ics", FeedView.as_view(), name="feed"),
    path("admin/", admin.site.urls),
    # anything else: the JSON 404 (also with DEBUG on, where Django would answer its HTML debug page)
    re_path(r"^(?!admin/)", handler404),
]
