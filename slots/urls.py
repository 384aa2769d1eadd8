from django.urls import path

from slots import views

urlpatterns = [
    path("availability/", views.AvailabilityListView.as_view(), name="availability"),
    path("availability/weekly/", views.WeeklyRuleListView.as_view(), name="weekly-rules"),
    path("availability/weekly/<int:pk>/", views.WeeklyRuleDetailView.as_view(), name="weekly-rule"),
    path("availability/<int:pk>/", views.AvailabilityDetailView.as_view(), name="availability-detail"),
    path("busy/", views.BusyListView.as_view(), name="busy"),
    path("busy/<int:pk>/", views.BusyDetailView.as_view(), name="busy-detail"),
    path("slots/", views.SlotsView.as_view(), name="slots"),
]
