from django.urls import path

from links import pages

# The page's assets (links/static/links/) are served by the app itself through whitenoise (see config/settings.py).
urlpatterns = [
    path("book/<str:token>", pages.book_page, name="book"),
]
