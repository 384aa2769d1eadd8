from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import MAX_POOL, acting_for, listing_scope, participant_ids, participants_of, pool_member_ids, pool_members_of
from core.fields import LocalDateTimeField, parse_zone_param, zone_for
from core.idempotency import idempotent
from core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginated
from core.query_params import check_query_params
from core.permissions import IsHR
from slots.answers import answer_cached, search_instant
from slots.matcher import match
from slots.models import AvailabilityWindow, BusyPeriod, BusySource, WeeklyRule
from slots.serializers import (
    MAX_WINDOWS_PER_REQUEST,
    BusyPeriodSerializer,
    RangeSerializer,
    WeeklyRuleInputSerializer,
    WeeklyRuleSerializer,
    WindowInputSerializer,
    WindowPatchSerializer,
    WindowSerializer,
    check_span,
)
from slots.services import (
    availability_create,
    availability_delete,
    availability_update,
    busy_period_create,
    busy_period_delete,
    weekly_rule_create,
    weekly_rule_delete,
)


def output_context(request) -> dict:
    """Serializer context: naive input and all output in ``?tz=`` or else the caller's zone."""
    context = {"request": request}
    zone = parse_zone_param(request.query_params.get("tz"))
    if zone is not None:
        context["tz"] = zone
    return context


def in_range(queryset, request, context):
    """Rows overlapping the ``start``/``end`` query parameters (either may be left out)."""
    bounds = RangeSerializer(data=request.query_params, context=context)
    bounds.is_valid(raise_exception=True)
    if "start" in bounds.validated_data:
        queryset = queryset.filter(end__gt=bounds.validated_data["start"])
    if "end" in bounds.validated_data:
        queryset = queryset.filter(start__lt=bounds.validated_data["end"])
    return queryset


def _overlapping(queryset, request, context):
    queryset = in_range(queryset, request, context)
    user_id = listing_scope(request, request.query_params.get("user"))
    if user_id is not None:
        queryset = queryset.filter(user_id=user_id)
    return queryset


def _visible(model, request, pk):
    queryset = model.objects.all() if request.user.is_superuser else model.objects.filter(user=request.user)
    return get_object_or_404(queryset, pk=pk)


LISTING_PARAMS = [
    OpenApiParameter("start", str, description="only rows ending after this"),
    OpenApiParameter("end", str, description="only rows starting before this"),
    OpenApiParameter("user", int, description="HR: whose rows (default: everyone's); others: only their own"),
    OpenApiParameter("tz", str, description="IANA zone of the answer's times"),
    OpenApiParameter("page_size", int, description=f"1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})"),
    OpenApiParameter("cursor", str, description='from the Link rel="next" header of the previous page'),
]
_LISTING_NAMES = {p.name for p in LISTING_PARAMS}


class AvailabilityListView(APIView):
    @extend_schema(parameters=LISTING_PARAMS, responses=WindowSerializer(many=True))
    def get(self, request):
        check_query_params(request, _LISTING_NAMES)
        context = output_context(request)
        windows = _overlapping(AvailabilityWindow.objects.only(*WindowSerializer.Meta.fields), request, context)
        return paginated(request, windows, lambda rows: WindowSerializer(rows, many=True, context=context).data)

    @extend_schema(request=WindowInputSerializer, responses={201: WindowSerializer})
    @idempotent
    def post(self, request):
        context = output_context(request)
        many = isinstance(request.data, list)
        data = WindowInputSerializer(
            data=request.data, many=many, context=context,
            **({"max_length": MAX_WINDOWS_PER_REQUEST, "allow_empty": False} if many else {}),
        )
        data.is_valid(raise_exception=True)
        items = data.validated_data if many else [data.validated_data]
        owners = {item.get("user") for item in items}
        if len(owners) > 1:
            raise ValidationError({"user": ["All windows of one request must be for the same user."]})
        user = acting_for(request, owners.pop())
        created = availability_create(user=user, windows=[(item["start"], item["end"]) for item in items])
        out = WindowSerializer(created, many=True, context=context).data
        return Response(out if many else out[0], status=status.HTTP_201_CREATED)


class AvailabilityDetailView(APIView):
    @extend_schema(responses=WindowSerializer)
    def get(self, request, pk):
        return Response(WindowSerializer(_visible(AvailabilityWindow, request, pk), context=output_context(request)).data)

    @extend_schema(request=WindowPatchSerializer, responses=WindowSerializer)
    def patch(self, request, pk):
        context = output_context(request)
        window = _visible(AvailabilityWindow, request, pk)
        data = WindowPatchSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        start = data.validated_data.get("start", window.start)
        end = data.validated_data.get("end", window.end)
        check_span(start, end)
        window = availability_update(window=window, start=start, end=end)
        return Response(WindowSerializer(window, context=context).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        availability_delete(window=_visible(AvailabilityWindow, request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WeeklyRuleListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("user", int)], responses=WeeklyRuleSerializer(many=True))
    def get(self, request):
        check_query_params(request, {"user"})
        rules = WeeklyRule.objects.all()
        user_id = listing_scope(request, request.query_params.get("user"))
        if user_id is not None:
            rules = rules.filter(user_id=user_id)
        return Response(WeeklyRuleSerializer(rules, many=True).data)

    @extend_schema(request=WeeklyRuleInputSerializer, responses={201: WeeklyRuleSerializer})
    @idempotent
    def post(self, request):
        data = WeeklyRuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        user = acting_for(request, fields.pop("user", None))
        fields.setdefault("timezone", user.timezone)
        rule = weekly_rule_create(user=user, **fields)
        return Response(WeeklyRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class WeeklyRuleDetailView(APIView):
    @extend_schema(responses=WeeklyRuleSerializer)
    def get(self, request, pk):
        return Response(WeeklyRuleSerializer(_visible(WeeklyRule, request, pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        weekly_rule_delete(rule=_visible(WeeklyRule, request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BusyListView(APIView):
    @extend_schema(parameters=LISTING_PARAMS, responses=BusyPeriodSerializer(many=True))
    def get(self, request):
        check_query_params(request, _LISTING_NAMES)
        context = output_context(request)
        periods = _overlapping(BusyPeriod.objects.only(*BusyPeriodSerializer.Meta.fields), request, context)
        return paginated(request, periods, lambda rows: BusyPeriodSerializer(rows, many=True, context=context).data)

    @extend_schema(request=WindowInputSerializer, responses={201: BusyPeriodSerializer})
    @idempotent
    def post(self, request):
        """Mark time busy by hand (source ``manual``)."""
        context = output_context(request)
        data = WindowInputSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        user = acting_for(request, data.validated_data.get("user"))
        period = busy_period_create(user=user, start=data.validated_data["start"], end=data.validated_data["end"])
        return Response(BusyPeriodSerializer(period, context=context).data, status=status.HTTP_201_CREATED)


class BusyDetailView(APIView):
    @extend_schema(responses=BusyPeriodSerializer)
    def get(self, request, pk):
        return Response(BusyPeriodSerializer(_visible(BusyPeriod, request, pk), context=output_context(request)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        period = _visible(BusyPeriod, request, pk)
        if period.source != BusySource.MANUAL:
            raise ValidationError({"source": ["Only busy time entered by hand can be deleted here."]})
        busy_period_delete(period=period)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlotQuerySerializer(serializers.Serializer):
    start = LocalDateTimeField(required=False)
    end = LocalDateTimeField(required=False)
    duration = serializers.IntegerField(required=False, default=60, min_value=15, max_value=480)
    step = serializers.IntegerField(required=False, min_value=5, max_value=1440)
    pool_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_POOL)

    def validate(self, attrs):
        attrs["moving"] = "start" not in attrs and "end" not in attrs  # the default range, from now on
        attrs.setdefault("start", timezone.now())
        attrs.setdefault("end", attrs["start"] + timedelta(days=60))
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["end must be after start."]})
        if attrs["end"] - attrs["start"] > timedelta(days=366):
            raise serializers.ValidationError({"end": ["start and end may be at most 366 days apart."]})
        attrs.setdefault("step", attrs["duration"])
        return attrs


def _id_list(request, *names: str) -> list[str]:
    values = []
    for name in names:
        for value in request.query_params.getlist(name):
            values.extend(part for part in value.split(",") if part.strip())
    return values


class SlotsView(APIView):
    permission_classes = [IsHR]
    throttle_scope = "slots"

    @extend_schema(
        parameters=[
            OpenApiParameter("candidate", int, required=True),
            OpenApiParameter("interviewer", int, many=True, required=True),
            OpenApiParameter("start", str),
            OpenApiParameter("end", str),
            OpenApiParameter("duration", int, description="minutes, 15 to 480 (default 60)"),
            OpenApiParameter("step", int, description="minutes between starts, 5 to 1440 (default: duration)"),
            OpenApiParameter("tz", str, description="IANA zone of the grid and the answer"),
            OpenApiParameter("pool", int, many=True, description="interviewers of a pool: pool_size of them must be free too"),
            OpenApiParameter("pool_size", int, description="how many of the pool (default 1)"),
        ],
        responses=inline_serializer("SlotsAnswer", {
            "candidate": serializers.IntegerField(),
            "interviewers": serializers.ListField(child=serializers.IntegerField()),
            "duration": serializers.IntegerField(),
            "step": serializers.IntegerField(),
            "timezone": serializers.CharField(),
            "start": serializers.DateTimeField(),
            "end": serializers.DateTimeField(),
            "pool": serializers.ListField(child=serializers.IntegerField(), required=False),
            "pool_size": serializers.IntegerField(required=False),
            "slots": inline_serializer("Slot", {
                "start": serializers.DateTimeField(),
                "end": serializers.DateTimeField(),
                "available": serializers.ListField(child=serializers.IntegerField(), required=False,
                                                   help_text="with a pool: the members free for all of the slot"),
            }, many=True),
            "explanation": inline_serializer("Explanation", {
                "code": serializers.ChoiceField(choices=["no_free_time", "no_common_time", "too_short", "policy"]),
                "message": serializers.CharField(),
                "users": serializers.ListField(child=serializers.IntegerField()),
            }, required=False, help_text="only when slots is empty: why"),
        }),
    )
    def get(self, request):
        zone = parse_zone_param(request.query_params.get("tz")) or zone_for({"request": request})
        query = SlotQuerySerializer(data=request.query_params, context={"request": request, "tz": zone})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        cand_id, panel_ids = participant_ids(request.query_params.get("candidate"),
                                             _id_list(request, "interviewer", "interviewers"))
        raw_pool = _id_list(request, "pool")
        if "pool_size" in params and not raw_pool:
            raise ValidationError({"pool_size": ["pool_size needs a pool."]})
        pool_ids = pool_member_ids(raw_pool, taken=[cand_id, *panel_ids]) if raw_pool else []
        pool_size = params.get("pool_size", 1)
        if pool_ids and pool_size > len(pool_ids):
            raise ValidationError({"pool_size": [f"The pool has only {len(pool_ids)} interviewers."]})
        now = search_instant(timezone.now())
        start, end = params["start"], params["end"]
        if params["moving"]:  # now to 60 days on, searched from the whole minute: the same slots (slots.answers)
            start = start.replace(second=0, microsecond=0)
            end = start + (params["end"] - params["start"])
        search = (cand_id, tuple(panel_ids), tuple(pool_ids), pool_size, start, end, params["duration"],
                  params["step"], zone.key, now)

        def found() -> dict:
            # who they are is checked here, with the search: a user's every save renews their version, so an
            # answer kept for these ids stands only while none of them changed (slots.versions)
            candidate, panel = participants_of(cand_id, panel_ids)
            pool = pool_members_of(pool_ids) if pool_ids else []
            return _slots_found(candidate, panel, pool, pool_size, start, end, params, zone, now)

        body = {
            "candidate": cand_id,
            "interviewers": panel_ids,
            "duration": params["duration"],
            "step": params["step"],
            "timezone": zone.key,
            "start": params["start"].astimezone(zone).isoformat(),
            "end": params["end"].astimezone(zone).isoformat(),
        }
        if pool_ids:
            body["pool"] = pool_ids
            body["pool_size"] = pool_size
        people = list(dict.fromkeys([cand_id, *panel_ids, *pool_ids]))
        return Response({**body, **answer_cached(search, people, found)})


def _slots_found(candidate, panel, pool, pool_size, start, end, params, zone, now) -> dict:
    """The answer's ``slots``, and its ``explanation`` when there is none."""
    answer = match(
        candidate=candidate,
        interviewers=panel,
        pool=pool,
        pool_size=pool_size,
        start=start,
        end=end,
        duration=timedelta(minutes=params["duration"]),
        step=timedelta(minutes=params["step"]),
        tz=zone,
        now=now,
    )
    body = {"slots": [
        {
            "start": slot.start.astimezone(zone).isoformat(),
            "end": slot.end.astimezone(zone).isoformat(),
            **({"available": available} if pool else {}),
        }
        for slot, available in answer.slots
    ]}
    if answer.explanation is not None:
        body["explanation"] = answer.explanation.as_dict()
    return body
