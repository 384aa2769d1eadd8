from core.routes import route
from scheduling import views

urlpatterns = [
    *route("interviews/", views.InterviewListView.as_view(), name="interviews"),
    *route("interviews/<int:pk>/", views.InterviewDetailView.as_view(), name="interview"),
    *route("interviews/<int:pk>/cancel", views.InterviewCancelView.as_view(), name="interview-cancel"),
    *route("interviews/<int:pk>/invite.ics", views.InterviewInviteView.as_view(), name="interview-invite"),
    *route("interview-requests/", views.InterviewRequestListView.as_view(), name="interview-requests"),
    *route("interview-requests/<int:pk>/", views.InterviewRequestDetailView.as_view(), name="interview-request"),
    *route("interview-requests/<int:pk>/cancel", views.InterviewRequestCancelView.as_view(), name="interview-request-cancel"),
    *route("users/<int:pk>/policy", views.PolicyView.as_view(), name="policy"),
]
