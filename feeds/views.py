"""``/feeds/<token>.ics``: a subscribable calendar of a user's interviews (HR: everyone's, bounded; see
feeds.selectors). The ETag names the feed's content; its text comes from the cache (feeds.calendar)."""

from django.http import HttpResponse, HttpResponseNotModified
from django.views import View
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import json_error
from core.feed_tokens import feed_token_rotate, feed_url, user_for_feed_token
from core.models import User
from core.timezones import get_zone, is_timezone
from feeds.calendar import feed_ical, feed_state
from feeds.selectors import feed_entries


class FeedView(View):
    def http_method_not_allowed(self, request, *args, **kwargs):
        response = json_error("method_not_allowed", f"{request.method} is not allowed here; use GET.", 405)
        response["Allow"] = "GET, HEAD"
        return response

    def get(self, request, token: str):
        user = user_for_feed_token(token)
        if user is None:
            return json_error("not_found", "There is no feed at this address.", 404)
        tz = get_zone(user.timezone if is_timezone(user.timezone) else "UTC")
        state = feed_state(user, feed_entries(user), tz=tz)
        if state.etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            response = HttpResponseNotModified()
            response["ETag"] = state.etag
            return response
        response = HttpResponse(feed_ical(state), content_type="text/calendar; charset=utf-8")
        response["ETag"] = state.etag
        response["Cache-Control"] = "private, max-age=300"
        response["Content-Disposition"] = 'inline; filename="interviews.ics"'
        return response


class FeedRotateView(APIView):
    @extend_schema(request=None, responses=inline_serializer("FeedOut", {"feed_url": serializers.URLField()}))
    def post(self, request):
        user = User.objects.get(pk=request.user.pk)
        feed_token_rotate(user=user)
        return Response({"feed_url": feed_url(user, request)})
