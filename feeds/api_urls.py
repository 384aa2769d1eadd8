from django.urls import path

from feeds.views import FeedRotateView

urlpatterns = [
    path("me/feed/rotate", FeedRotateView.as_view(), name="feed-rotate"),
]
