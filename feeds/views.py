"""``/feeds/<token>.ics``: a subscribable calendar of a user's interviews (HR: everyone's)."""

import hashlib
from datetime import timedelta

from django.db.models import Count, Max, Q
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.views import View
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import json_error
from core.models import User
from core.timezones import get_zone, is_timezone
from feeds.calendar import feed_calendar
from core.feed_tokens import feed_token_rotate, feed_url, user_for_feed_token
from scheduling.models import Interview, InterviewStatus

PAST_DAYS = 90
CANCELLED_KEPT_DAYS = 30


def feed_interviews(user):
    """The interviews a feed shows: the last 90 days and all to come; cancelled ones for 30 days after
    cancelling, so that subscribed clients see them go."""
    now = timezone.now()
    interviews = Interview.objects.filter(end__gte=now - timedelta(days=PAST_DAYS)).filter(
        Q(status=InterviewStatus.SCHEDULED)
        | Q(status=InterviewStatus.CANCELLED, cancelled_at__gte=now - timedelta(days=CANCELLED_KEPT_DAYS))
    )
    if not user.is_superuser:
        mine = Interview.objects.filter(Q(candidate_id=user.pk) | Q(interviewers=user.pk)).values("pk")
        interviews = interviews.filter(pk__in=mine)
    return interviews


class FeedView(View):
    def http_method_not_allowed(self, request, *args, **kwargs):
        response = json_error("method_not_allowed", f"{request.method} is not allowed here; use GET.", 405)
        response["Allow"] = "GET, HEAD"
        return response

    def get(self, request, token: str):
        user = user_for_feed_token(token)
        if user is None:
            return json_error("not_found", "There is no feed at this address.", 404)
        interviews = feed_interviews(user)
        summary = interviews.aggregate(count=Count("pk"), latest=Max("updated"))
        tag = hashlib.sha256(
            f"{user.pk}:{user.timezone}:{user.name}:{summary['count']}:{summary['latest']}".encode()
        ).hexdigest()[:32]
        etag = f'"{tag}"'
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            response = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        tz = get_zone(user.timezone if is_timezone(user.timezone) else "UTC")
        rows = interviews.select_related("candidate").prefetch_related("interviewers").order_by("start", "pk")
        body = feed_calendar(user, list(rows), tz=tz).to_ical()
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["ETag"] = etag
        response["Cache-Control"] = "private, max-age=300"
        response["Content-Disposition"] = 'inline; filename="interviews.ics"'
        return response


class FeedRotateView(APIView):
    @extend_schema(request=None, responses=inline_serializer("FeedOut", {"feed_url": serializers.URLField()}))
    def post(self, request):
        user = User.objects.get(pk=request.user.pk)
        feed_token_rotate(user=user)
        return Response({"feed_url": feed_url(user, request)})
