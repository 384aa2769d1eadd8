from django.urls import path

from integrations import views
from integrations.caldav import views as caldav_views
from integrations.google import views as google_views
from integrations.microsoft import views as microsoft_views

urlpatterns = [
    path("calendars/import/", views.CalendarImportView.as_view(), name="calendar-import"),
    path("calendars/subscriptions/", views.SubscriptionListView.as_view(), name="subscriptions"),
    path("calendars/subscriptions/<int:pk>/", views.SubscriptionDetailView.as_view(), name="subscription"),
]

urlpatterns += [
    path("integrations/google/authorize", google_views.AuthorizeView.as_view(), name="google-authorize"),
    path("integrations/google/callback", google_views.CallbackView.as_view(), name="google-callback"),
    path("integrations/google/sync", google_views.SyncView.as_view(), name="google-sync"),
    path("integrations/google", google_views.ConnectionView.as_view(), name="google"),
]

urlpatterns += [
    path("integrations/caldav/sync", caldav_views.CalDAVSyncView.as_view(), name="caldav-sync"),
    path("integrations/caldav", caldav_views.CalDAVView.as_view(), name="caldav"),
]

urlpatterns += [
    path("integrations/microsoft/authorize", microsoft_views.MicrosoftAuthorizeView.as_view(), name="microsoft-authorize"),
    path("integrations/microsoft/callback", microsoft_views.MicrosoftCallbackView.as_view(), name="microsoft-callback"),
    path("integrations/microsoft/sync", microsoft_views.MicrosoftSyncView.as_view(), name="microsoft-sync"),
    path("integrations/microsoft", microsoft_views.MicrosoftConnectionView.as_view(), name="microsoft"),
]
