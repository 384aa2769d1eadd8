import json

from rest_framework.renderers import BaseRenderer


class ICalendarRenderer(BaseRenderer):
    """Lets clients ask for ``text/calendar``; calendars themselves are returned as ready responses, so
    what reaches this renderer is an error body, written as JSON text."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, (bytes, str)):
            return data
        return json.dumps(data).encode()
