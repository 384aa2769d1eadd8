import logging

from core.errors import handler500

logger = logging.getLogger("django.request")


class ApiErrorMiddleware:
    """An unexpected error under the API answers in the one error shape, with DEBUG on as well
    (Django's debug page would answer in HTML). It is logged with its traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith(("/api/", "/feeds/")):
            return None
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return handler500(request)
