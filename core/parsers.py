"""The API's JSON parser."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's, with deeply nested input refused as malformed (400) like any other: the standard library's
    decoder recurses once per level and raises RecursionError past the interpreter's limit, which is not the
    ValueError that DRF turns into a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
