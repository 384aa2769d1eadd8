from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from feeds.views import FeedView

urlpatterns = [
    # CSRF-exempt: the feed reads no cookie; a POST gets the JSON 405, not Django's HTML CSRF page
    path("feeds/<str:token>.ics", csrf_exempt(FeedView.as_view()), name="feed"),
]
