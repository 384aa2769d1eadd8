from django.urls import path

from scheduling import loop_views, views

urlpatterns = [
    path("interviews/", views.InterviewListView.as_view(), name="interviews"),
    path("interviews/<int:pk>/", views.InterviewDetailView.as_view(), name="interview"),
    path("interviews/<int:pk>/cancel", views.InterviewCancelView.as_view(), name="interview-cancel"),
    path("interviews/<int:pk>/invite.ics", views.InterviewInviteView.as_view(), name="interview-invite"),
    path("interview-requests/", views.InterviewRequestListView.as_view(), name="interview-requests"),
    path("interview-requests/<int:pk>/", views.InterviewRequestDetailView.as_view(), name="interview-request"),
    path("interview-requests/<int:pk>/cancel", views.InterviewRequestCancelView.as_view(), name="interview-request-cancel"),
    path("users/<int:pk>/policy", views.PolicyView.as_view(), name="policy"),
    path("loops/", loop_views.LoopListView.as_view(), name="loops"),
    path("loops/search", loop_views.LoopSearchView.as_view(), name="loop-search"),
    path("loops/<int:pk>/", loop_views.LoopDetailView.as_view(), name="loop"),
    path("loops/<int:pk>/cancel", loop_views.LoopCancelView.as_view(), name="loop-cancel"),
]
