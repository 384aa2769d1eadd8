from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import errors, views
from feeds.views import FeedRotateView, FeedView
from slots import views as slot_views

handler400 = "core.errors.handler400"
handler403 = "core.errors.handler403"
handler404 = errors.handler404
handler500 = "core.errors.handler500"

api = [
    path("auth/register", views.RegisterView.as_view(), name="register"),
    path("auth/token", views.TokenView.as_view(), name="token"),
    path("auth/logout", views.LogoutView.as_view(), name="logout"),
    path("me", views.MeView.as_view(), name="me"),
    path("me/password", views.PasswordView.as_view(), name="me-password"),
    path("me/feed/rotate", FeedRotateView.as_view(), name="feed-rotate"),
    path("users/", views.UserListView.as_view(), name="users"),
    path("availability/", slot_views.AvailabilityListView.as_view(), name="availability"),
    path("availability/weekly/", slot_views.WeeklyRuleListView.as_view(), name="weekly-rules"),
    path("availability/weekly/<int:pk>/", slot_views.WeeklyRuleDetailView.as_view(), name="weekly-rule"),
    path("availability/<int:pk>/", slot_views.AvailabilityDetailView.as_view(), name="availability-detail"),
    path("busy/", slot_views.BusyListView.as_view(), name="busy"),
    path("busy/<int:pk>/", slot_views.BusyDetailView.as_view(), name="busy-detail"),
    path("slots/", slot_views.SlotsView.as_view(), name="slots"),
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
    re_path(r"^(?!admin/)", handler404, name="not-found"),
]
