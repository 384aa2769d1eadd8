from datetime import timedelta

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import participants
from core.fields import zone_for
from core.idempotency import idempotent
from core.pagination import QUERY_PARAMS, paginated
from core.query_params import check_query_params
from core.models import Role, User
from core.permissions import IsHR
from core.renderers import ICalendarRenderer
from core.schema import documents_errors
from scheduling.auto import interview_request_cancel, interview_request_create
from scheduling.invites import invite_calendar
from scheduling.models import Interview, InterviewRequest, InterviewStatus, RequestStatus
from scheduling.serializers import (
    BookInputSerializer,
    InterviewRequestInputSerializer,
    InterviewRequestSerializer,
    InterviewSerializer,
    CancelInputSerializer,
    InterviewChangeInputSerializer,
    PolicySerializer,
)
from scheduling.services import interview_book, interview_cancel, interview_update
from slots.models import InterviewerPolicy
from slots.services import interviewer_policy_update
from slots.views import LISTING_PARAMS, in_range, output_context

_INTERVIEW_PARAMS = {"status", "start", "end", "tz", *QUERY_PARAMS}


def visible_interviews(user: User):
    interviews = Interview.objects.select_related("candidate").prefetch_related("interviewers")
    if user.is_superuser:
        return interviews
    mine = Interview.objects.filter(Q(candidate_id=user.pk) | Q(interviewers=user.pk)).values("pk")
    return interviews.filter(pk__in=mine)


def _require_hr(request) -> None:
    if not request.user.is_superuser:
        raise PermissionDenied("Only HR may book, reschedule or cancel interviews.")


class InterviewListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=InterviewStatus.values),
            *(p for p in LISTING_PARAMS if p.name != "user"),
        ],
        responses=InterviewSerializer(many=True),
    )
    def get(self, request):
        check_query_params(request, _INTERVIEW_PARAMS)
        context = output_context(request)
        interviews = visible_interviews(request.user)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in InterviewStatus.values:
                raise ValidationError({"status": ["Choose scheduled or cancelled."]})
            interviews = interviews.filter(status=wanted)
        interviews = in_range(interviews, request, context)
        return paginated(request, interviews, lambda rows: InterviewSerializer(rows, many=True, context=context).data)

    @extend_schema(request=BookInputSerializer, responses={201: InterviewSerializer})
    @documents_errors({403: "only HR books interviews."})
    @idempotent
    def post(self, request):
        _require_hr(request)
        context = output_context(request)
        data = BookInputSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        candidate, panel = participants(params["candidate"], params["interviewers"])
        interview = interview_book(
            candidate=candidate,
            interviewers=panel,
            start=params["start"],
            duration=timedelta(minutes=params["duration"]),
            title=params["title"],
            created_by=request.user,
        )
        return Response(InterviewSerializer(interview, context=context).data, status=status.HTTP_201_CREATED)


class InterviewDetailView(APIView):
    @extend_schema(responses=InterviewSerializer)
    def get(self, request, pk):
        interview = get_object_or_404(visible_interviews(request.user), pk=pk)
        return Response(InterviewSerializer(interview, context=output_context(request)).data)

    @extend_schema(request=InterviewChangeInputSerializer, responses=InterviewSerializer)
    def patch(self, request, pk):
        interview = get_object_or_404(visible_interviews(request.user), pk=pk)
        _require_hr(request)
        context = output_context(request)
        data = InterviewChangeInputSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        panel = None
        if "interviewers" in params:
            _, panel = participants(interview.candidate_id, params["interviewers"])
        interview = interview_update(
            interview=interview,
            start=params.get("start"),
            duration=timedelta(minutes=params["duration"]) if "duration" in params else None,
            title=params.get("title"),
            interviewers=panel,
        )
        interview = visible_interviews(request.user).get(pk=interview.pk)
        return Response(InterviewSerializer(interview, context=context).data)


class InterviewCancelView(APIView):
    @extend_schema(request=CancelInputSerializer, responses=InterviewSerializer)
    @idempotent
    def post(self, request, pk):
        interview = get_object_or_404(visible_interviews(request.user), pk=pk)
        _require_hr(request)
        data = CancelInputSerializer(data=request.data if request.data else {})
        data.is_valid(raise_exception=True)
        interview_cancel(interview=interview, reason=data.validated_data["reason"])
        interview = visible_interviews(request.user).get(pk=interview.pk)
        return Response(InterviewSerializer(interview, context=output_context(request)).data)


class InterviewInviteView(APIView):
    renderer_classes = [JSONRenderer, ICalendarRenderer]

    @extend_schema(responses={(200, "text/calendar"): str})
    def get(self, request, pk):
        interview = get_object_or_404(visible_interviews(request.user), pk=pk)
        context = output_context(request)
        calendar = invite_calendar(interview, tz=zone_for(context))
        method = calendar.get("METHOD")
        response = HttpResponse(calendar.to_ical(), content_type=f"text/calendar; charset=utf-8; method={method}")
        response["Content-Disposition"] = f'inline; filename="interview-{interview.pk}.ics"'
        return response


class InterviewRequestListView(APIView):
    permission_classes = [IsHR]

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=RequestStatus.values), OpenApiParameter("tz", str)],
        responses=InterviewRequestSerializer(many=True),
    )
    def get(self, request):
        check_query_params(request, {"status", "tz"})
        requests = InterviewRequest.objects.prefetch_related("interviewers")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in RequestStatus.values:
                raise ValidationError({"status": [f"Choose one of: {', '.join(RequestStatus.values)}."]})
            requests = requests.filter(status=wanted)
        return Response(InterviewRequestSerializer(requests, many=True, context=output_context(request)).data)

    @extend_schema(request=InterviewRequestInputSerializer, responses={201: InterviewRequestSerializer})
    @idempotent
    def post(self, request):
        context = output_context(request)
        data = InterviewRequestInputSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        candidate, pool = participants(params.pop("candidate"), params.pop("interviewers"))
        params["timezone_name"] = params.pop("timezone", None) or zone_for(context).key
        created = interview_request_create(candidate=candidate, interviewers=pool, created_by=request.user, **params)
        created = InterviewRequest.objects.prefetch_related("interviewers").get(pk=created.pk)
        return Response(InterviewRequestSerializer(created, context=context).data, status=status.HTTP_201_CREATED)


class InterviewRequestDetailView(APIView):
    permission_classes = [IsHR]

    @extend_schema(responses=InterviewRequestSerializer)
    def get(self, request, pk):
        found = get_object_or_404(InterviewRequest.objects.prefetch_related("interviewers"), pk=pk)
        return Response(InterviewRequestSerializer(found, context=output_context(request)).data)


class InterviewRequestCancelView(APIView):
    permission_classes = [IsHR]

    @extend_schema(request=None, responses=InterviewRequestSerializer)
    def post(self, request, pk):
        found = interview_request_cancel(request=get_object_or_404(InterviewRequest, pk=pk))
        return Response(InterviewRequestSerializer(found, context=output_context(request)).data)


class PolicyView(APIView):
    """An interviewer's scheduling policy: HR for anyone, an interviewer for themselves."""

    def _interviewer(self, request, pk) -> User:
        if not request.user.is_superuser and request.user.pk != pk:
            raise NotFound()
        user = get_object_or_404(User, pk=pk)
        if user.effective_role != Role.INTERVIEWER:
            raise ValidationError({"user": ["Only interviewers have a scheduling policy."]})
        return user

    @extend_schema(responses=PolicySerializer)
    def get(self, request, pk):
        user = self._interviewer(request, pk)
        policy = InterviewerPolicy.objects.filter(user=user).first() or InterviewerPolicy(user=user)
        return Response(PolicySerializer(policy).data)

    @extend_schema(request=PolicySerializer, responses=PolicySerializer)
    def patch(self, request, pk):
        user = self._interviewer(request, pk)
        data = PolicySerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        policy = interviewer_policy_update(user=user, **data.validated_data)
        return Response(PolicySerializer(policy).data)
