"""Interview loops over HTTP: search (the matcher), book, show, cancel. HR only."""

from datetime import timedelta

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import zone_for
from core.idempotency import idempotent
from core.models import Role, User
from core.timezones import get_zone
from core.permissions import IsHR
from scheduling.loop_serializers import LoopBookSerializer, LoopSearchSerializer, LoopSerializer
from scheduling.loops import SessionPlan, loop_book, loop_cancel
from scheduling.models import Loop
from slots.loops import Session
from slots.matcher import match_loop
from slots.views import output_context


def loop_people(candidate_id: int, sessions: list[dict]) -> tuple[User, dict[int, User]]:
    """The candidate and every interviewer named in the sessions, in one query. An unknown id is a 404; a
    user of the wrong role in a place, or the candidate also in a session, is a 400."""
    ids = {pk for s in sessions for pk in (*s["interviewers"], *s.get("pool", []))}
    if candidate_id in ids:
        raise ValidationError({"candidate": ["The candidate cannot also be an interviewer in the loop."]})
    users = User.objects.in_bulk([candidate_id, *ids])
    for pk in [candidate_id, *sorted(ids)]:
        if pk not in users:
            raise NotFound(f"There is no user {pk}.")
    candidate = users[candidate_id]
    if candidate.effective_role != Role.CANDIDATE or not candidate.is_active:
        raise ValidationError({"candidate": [f"User {candidate_id} is not an active candidate."]})
    wrong = [pk for pk in sorted(ids) if users[pk].effective_role != Role.INTERVIEWER or not users[pk].is_active]
    if wrong:
        raise ValidationError({"sessions": [f"User {pk} is not an active interviewer." for pk in wrong]})
    return candidate, users


def _loop(pk) -> Loop:
    return get_object_or_404(Loop.objects.prefetch_related("interviews__interviewers"), pk=pk)


SESSION_OUT = {
    "session": serializers.IntegerField(help_text="index of the session in the request"),
    "title": serializers.CharField(),
    "start": serializers.DateTimeField(),
    "end": serializers.DateTimeField(),
    "interviewers": serializers.ListField(child=serializers.IntegerField()),
    "available": serializers.ListField(child=serializers.IntegerField(), required=False),
}
SearchOut = inline_serializer("LoopSearchAnswer", {
    "options": inline_serializer("LoopOption", {
        "start": serializers.DateTimeField(),
        "end": serializers.DateTimeField(),
        "total_gap": serializers.IntegerField(help_text="minutes"),
        "sessions": inline_serializer("LoopOptionSession", SESSION_OUT, many=True),
    }, many=True),
    "timezone": serializers.CharField(),
    "complete": serializers.BooleanField(required=False),
    "explanation": inline_serializer("LoopExplanation", {
        "code": serializers.CharField(), "message": serializers.CharField(),
        "users": serializers.ListField(child=serializers.IntegerField()),
    }, required=False),
})


class LoopSearchView(APIView):
    permission_classes = [IsHR]
    throttle_scope = "slots"  # the matcher's rate (THROTTLE_SLOTS), shared with /slots/

    @extend_schema(request=LoopSearchSerializer, responses=SearchOut)
    def post(self, request):
        context = output_context(request)
        data = LoopSearchSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        zone = get_zone(params["tz"]) if params.get("tz") else zone_for(context)
        candidate, _users = loop_people(params["candidate"], params["sessions"])
        sessions = [
            Session(duration=timedelta(minutes=s["duration"]), interviewers=tuple(s["interviewers"]),
                    pool=tuple(s["pool"]), pool_size=s.get("pool_size", 0), title=s["title"])
            for s in params["sessions"]
        ]
        found = match_loop(candidate=candidate, sessions=sessions, any_order=params["order"] == "any",
                           max_gap=timedelta(minutes=params["max_gap"]), start=params["start"], end=params["end"],
                           step=timedelta(minutes=params["step"]), tz=zone, limit=params["limit"])

        def at(moment):
            return moment.astimezone(zone).isoformat()

        body = {
            "options": [
                {
                    "start": at(option.start),
                    "end": at(option.end),
                    "total_gap": int(option.total_gap.total_seconds() // 60),
                    "sessions": [
                        {
                            "session": placed.session,
                            "title": sessions[placed.session].title,
                            "start": at(placed.slot.start),
                            "end": at(placed.slot.end),
                            "interviewers": list(placed.interviewers),
                            **({"available": list(placed.available)} if sessions[placed.session].pool else {}),
                        }
                        for placed in option.sessions
                    ],
                }
                for option in found.options
            ],
            "timezone": zone.key,
        }
        if not found.complete:
            body["complete"] = False
        if found.explanation is not None:
            body["explanation"] = found.explanation.as_dict()
        return Response(body)


class LoopListView(APIView):
    permission_classes = [IsHR]

    @extend_schema(responses=LoopSerializer(many=True))
    def get(self, request):
        loops = Loop.objects.prefetch_related("interviews__interviewers").order_by("-id")[:500]
        return Response(LoopSerializer(loops, many=True, context=output_context(request)).data)

    @extend_schema(request=LoopBookSerializer, responses={201: LoopSerializer})
    @idempotent
    def post(self, request):
        context = output_context(request)
        data = LoopBookSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        candidate, users = loop_people(params["candidate"], params["sessions"])
        plans = [
            SessionPlan(interviewers=[users[pk] for pk in s["interviewers"]], start=s["start"],
                        duration=timedelta(minutes=s["duration"]), title=s["title"])
            for s in params["sessions"]
        ]
        loop = loop_book(candidate=candidate, sessions=plans, title=params["title"], created_by=request.user)
        return Response(LoopSerializer(_loop(loop.pk), context=context).data, status=status.HTTP_201_CREATED)


class LoopDetailView(APIView):
    permission_classes = [IsHR]

    @extend_schema(responses=LoopSerializer)
    def get(self, request, pk):
        return Response(LoopSerializer(_loop(pk), context=output_context(request)).data)


class LoopCancelView(APIView):
    permission_classes = [IsHR]

    @extend_schema(request=None, responses=LoopSerializer)
    @idempotent
    def post(self, request, pk):
        loop_cancel(loop=_loop(pk))
        return Response(LoopSerializer(_loop(pk), context=output_context(request)).data)
