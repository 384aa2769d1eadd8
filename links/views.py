"""Scheduling links: HR's calls (create, list, show, revoke) and the candidate's public calls by token."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import participants
from core.fields import parse_zone_param
from core.idempotency import idempotent
from core.pagination import QUERY_PARAMS, paginated
from core.permissions import IsHR
from core.query_params import check_query_params
from core.renderers import ICalendarRenderer
from core.throttling import PublicLinkThrottle, PublicThrottle
from links.calendar import public_calendar
from links.errors import Gone
from links.models import LinkStatus
from links.selectors import (
    booked_interview,
    link_by_token,
    link_slots,
    link_status,
    link_zone,
    links_in_status,
    links_with_details,
)
from links.serializers import LinkInputSerializer, LinkSerializer, PublicStartSerializer
from links.services import link_book, link_cancel, link_create, link_reschedule, link_revoke

from slots.views import LISTING_PARAMS, output_context

class LinkListView(APIView):
    permission_classes = [IsHR]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=LinkStatus.values),
            *(p for p in LISTING_PARAMS if p.name in ("tz", "page_size", "cursor")),
        ],
        responses=LinkSerializer(many=True),
    )
    def get(self, request):
        check_query_params(request, {"status", "tz", *QUERY_PARAMS})
        context = output_context(request)
        links = links_with_details()
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in LinkStatus.values:
                raise ValidationError({"status": ["Choose open, booked, expired or revoked."]})
            links = links_in_status(links, wanted)
        return paginated(request, links, lambda rows: LinkSerializer(rows, many=True, context=context).data,
                         ordering=("id",))

    @extend_schema(request=LinkInputSerializer, responses={201: LinkSerializer})
    @idempotent
    def post(self, request):
        context = output_context(request)
        data = LinkInputSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        if params["interviewers"]:
            candidate, panel = participants(params["candidate"], params["interviewers"])
        else:
            candidate, panel = participants(params["candidate"], params["pool"])[0], []
        pool = participants(candidate.pk, params["pool"])[1] if params["pool"] else []
        link, _token = link_create(
            candidate=candidate, interviewers=panel, pool=pool, pool_size=params["pool_size"],
            duration=params["duration"], step=params["step"], start=params["start"], end=params["end"],
            expires_at=params["expires_at"], title=params["title"],
            timezone_name=params.get("timezone") or candidate.timezone, created_by=request.user,
        )
        link = links_with_details().get(pk=link.pk)
        return Response(LinkSerializer(link, context=context).data, status=status.HTTP_201_CREATED)


class LinkDetailView(APIView):
    permission_classes = [IsHR]

    @extend_schema(responses=LinkSerializer)
    def get(self, request, pk):
        link = get_object_or_404(links_with_details(), pk=pk)
        return Response(LinkSerializer(link, context=output_context(request)).data)


class LinkRevokeView(APIView):
    permission_classes = [IsHR]

    @extend_schema(request=None, responses=LinkSerializer)
    @idempotent
    def post(self, request, pk):
        link = link_revoke(link=get_object_or_404(links_with_details(), pk=pk))
        return Response(LinkSerializer(link, context=output_context(request)).data)


# --- public: no account, the token is the key -------------------------------------------------------


def _names(users) -> list[dict]:
    return [{"name": u.name or "Interviewer"} for u in sorted(users, key=lambda u: u.pk)]


def public_interview(interview, zone, request) -> dict:
    """The booked interview as the candidate sees it: times and names, never an email or an id."""
    return {
        "start": interview.start.astimezone(zone).isoformat(),
        "end": interview.end.astimezone(zone).isoformat(),
        "status": interview.status,
        "sequence": interview.sequence,
        "interviewers": _names(interview.interviewers.all()),
    }


class PublicView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicThrottle, PublicLinkThrottle]

    def open_link(self, token: str):
        """The link, or 404 (unknown token) / 410 ``gone`` (revoked or expired)."""
        link = link_by_token(token)
        if link is None:
            raise NotFound("There is no scheduling link at this address.")
        status_now = link_status(link)
        if status_now == LinkStatus.REVOKED:
            raise Gone("This scheduling link has been revoked. Please ask the hiring team for a new one.")
        if status_now == LinkStatus.EXPIRED:
            raise Gone("This scheduling link has expired. Please ask the hiring team for a new one.")
        return link

    def zone(self, request, link, *, body: bool = False):
        """``?tz=`` (or for a booking also ``tz`` in the body), else the link's zone."""
        body_tz = request.data.get("tz") if body and isinstance(request.data, dict) else None
        raw = request.query_params.get("tz") or (body_tz if isinstance(body_tz, str) else None)
        return parse_zone_param(raw) or link_zone(link)

    def start(self, request, zone):
        if not isinstance(request.data, dict):
            raise ValidationError({"start": ["Send a JSON object with the start time."]})
        data = PublicStartSerializer(data=request.data, context={"tz": zone})
        data.is_valid(raise_exception=True)
        return data.validated_data["start"]


PublicInterview = inline_serializer("PublicInterview", {
    "start": serializers.DateTimeField(), "end": serializers.DateTimeField(), "status": serializers.CharField(),
    "sequence": serializers.IntegerField(),
    "interviewers": inline_serializer("PublicPerson", {"name": serializers.CharField()}, many=True),
})


class PublicLinkView(PublicView):
    @extend_schema(
        parameters=[OpenApiParameter("tz", str, description="IANA zone of the grid and the answer")],
        responses=inline_serializer("PublicLink", {
            "title": serializers.CharField(), "duration": serializers.IntegerField(),
            "step": serializers.IntegerField(), "status": serializers.CharField(),
            "timezone": serializers.CharField(), "start": serializers.DateTimeField(),
            "end": serializers.DateTimeField(), "expires_at": serializers.DateTimeField(),
            "pool_size": serializers.IntegerField(),
            "interviewers": inline_serializer("PublicPanel", {"name": serializers.CharField()}, many=True),
            "slots": inline_serializer("PublicSlot", {"start": serializers.DateTimeField(),
                                                      "end": serializers.DateTimeField()}, many=True),
            "interview": PublicInterview,
        }),
    )
    def get(self, request, token):
        link = self.open_link(token)
        zone = self.zone(request, link)
        interview = booked_interview(link)
        slots = link_slots(link, tz=zone)
        return Response({
            "title": link.title or "Interview",
            "duration": link.duration,
            "step": link.step,
            "status": link_status(link),
            "timezone": zone.key,
            "start": link.start.astimezone(zone).isoformat(),
            "end": link.end.astimezone(zone).isoformat(),
            "expires_at": link.expires_at.astimezone(zone).isoformat(),
            "pool_size": link.pool_size,
            "interviewers": _names(link.interviewers.all()),
            "slots": [{"start": s.start.astimezone(zone).isoformat(), "end": s.end.astimezone(zone).isoformat()}
                      for s in slots],
            "interview": public_interview(interview, zone, request) if interview else None,
        }, headers={"Cache-Control": "no-store"})


class PublicBookView(PublicView):
    @extend_schema(request=PublicStartSerializer, responses={201: inline_serializer(
        "PublicBooked", {"interview": PublicInterview})})
    def post(self, request, token):
        link = self.open_link(token)
        zone = self.zone(request, link, body=True)
        return self._book(request, link, zone)

    def _book(self, request, link, zone):
        # An Idempotency-Key is kept in the candidate's name: the link is theirs, and they have no account.
        request.user = link.candidate
        return self._idempotent_book(request, link=link, zone=zone)

    @idempotent
    def _idempotent_book(self, request, *, link, zone):
        interview = link_book(link=link, start=self.start(request, zone), tz=zone)
        return Response({"interview": public_interview(interview, zone, request)}, status=status.HTTP_201_CREATED)


class PublicRescheduleView(PublicView):
    @extend_schema(request=PublicStartSerializer, responses=inline_serializer(
        "PublicRescheduled", {"interview": PublicInterview}))
    def post(self, request, token):
        link = self.open_link(token)
        zone = self.zone(request, link, body=True)
        interview = link_reschedule(link=link, start=self.start(request, zone), tz=zone)
        return Response({"interview": public_interview(interview, zone, request)})


class PublicCancelView(PublicView):
    @extend_schema(request=None, responses=inline_serializer(
        "PublicCancelled", {"status": serializers.CharField(), "interview": PublicInterview}))
    def post(self, request, token):
        link = self.open_link(token)
        zone = self.zone(request, link)
        interview = link_cancel(link=link)
        return Response({"status": interview.status, "interview": public_interview(interview, zone, request)})


class PublicInterviewCalendarView(PublicView):
    """The booked interview as an .ics to add to one's calendar (names only: no addresses)."""

    renderer_classes = [JSONRenderer, ICalendarRenderer]

    @extend_schema(responses={(200, "text/calendar"): str})
    def get(self, request, token):
        link = self.open_link(token)
        interview = booked_interview(link)
        if interview is None:
            raise NotFound("Nothing is booked through this link.")
        response = HttpResponse(public_calendar(interview, tz=self.zone(request, link)).to_ical(),
                                content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="interview.ics"'
        response["Cache-Control"] = "no-store"
        return response
