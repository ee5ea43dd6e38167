"""Request parsers for the API (a module of its own: DRF imports it while loading its settings)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with absurd nesting refused as bad input instead of crashing the worker."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None


PARSER_CLASSES = [JSONParser, parsers.FormParser, parsers.MultiPartParser]
