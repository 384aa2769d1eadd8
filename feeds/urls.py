from django.urls import path

from feeds.views import FeedView

urlpatterns = [
    path("feeds/<str:token>.ics", FeedView.as_view(), name="feed"),
]
