from core.routes import route
from integrations import views

urlpatterns = [
    *route("calendars/import/", views.CalendarImportView.as_view(), name="calendar-import"),
    *route("calendars/subscriptions/", views.SubscriptionListView.as_view(), name="subscriptions"),
    *route("calendars/subscriptions/<int:pk>/", views.SubscriptionDetailView.as_view(), name="subscription"),
]
