from pathlib import Path

from django.urls import path, re_path
from django.views.static import serve

from links import pages

urlpatterns = [
    path("book/<str:token>", pages.book_page, name="book"),
    # The page's assets, served by the app itself (no CDN, no build step).
    re_path(r"^static/links/(?P<path>book\.(?:css|js)|favicon\.svg)$", serve,
            {"document_root": Path(__file__).resolve().parent / "static" / "links"}),
]
