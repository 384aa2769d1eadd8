from django.urls import path

from links import views

urlpatterns = [
    path("scheduling-links/", views.LinkListView.as_view(), name="scheduling-links"),
    path("scheduling-links/<int:pk>/", views.LinkDetailView.as_view(), name="scheduling-link"),
    path("scheduling-links/<int:pk>/revoke", views.LinkRevokeView.as_view(), name="scheduling-link-revoke"),
    path("public/links/<str:token>", views.PublicLinkView.as_view(), name="public-link"),
    path("public/links/<str:token>/book", views.PublicBookView.as_view(), name="public-link-book"),
    path("public/links/<str:token>/reschedule", views.PublicRescheduleView.as_view(), name="public-link-reschedule"),
    path("public/links/<str:token>/cancel", views.PublicCancelView.as_view(), name="public-link-cancel"),
    path("public/links/<str:token>/interview.ics", views.PublicInterviewCalendarView.as_view(),
         name="public-link-ics"),
]
