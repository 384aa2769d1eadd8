from core.routes import route
from integrations import views
from integrations.google import views as google_views

urlpatterns = [
    *route("calendars/import/", views.CalendarImportView.as_view(), name="calendar-import"),
    *route("calendars/subscriptions/", views.SubscriptionListView.as_view(), name="subscriptions"),
    *route("calendars/subscriptions/<int:pk>/", views.SubscriptionDetailView.as_view(), name="subscription"),
]

urlpatterns += [
    *route("integrations/google/authorize", google_views.AuthorizeView.as_view(), name="google-authorize"),
    *route("integrations/google/callback", google_views.CallbackView.as_view(), name="google-callback"),
    *route("integrations/google/sync", google_views.SyncView.as_view(), name="google-sync"),
    *route("integrations/google", google_views.ConnectionView.as_view(), name="google"),
]
