"""The OpenAPI schema, true to what the API answers (checked by schemathesis in CI).

- Every operation documents the errors it can give: 400 (bad input, with a body naming the fields),
  401 (no or a bad token), 403 (visible but not yours to change), 404 (missing or out of scope, and a
  page past the last); the token endpoint also 429 (sign-in locked out).
- Decimal fields carry their real bounds: a pattern that refuses a sign where the value cannot be
  negative, and exact ranges for coordinates; requests may send a decimal as a string or a number.
"""

from decimal import Decimal

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

ERRORS = {
    "400": ("ValidationError", "Bad input: the fields (or `detail`) and what is wrong with each."),
    "401": ("Error", "Not signed in: no token, or a token that is not valid."),
    "403": ("Error", "Signed in, but not allowed to do this."),
    "404": ("Error", "Missing, outside what you may see, or a page past the last."),
}
LOCKED_OUT = ("Error", "Too many failed sign-ins: try again later.")
COMPONENTS = {
    "Error": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationError": {
        "type": "object",
        "description": "Each key is a field (`non_field_errors` or `detail` for the whole request).",
        "additionalProperties": {},
    },
}

# Exact patterns for the coordinate ranges, integer part and decimals as the columns hold them.
_COORDINATES = {
    Decimal(90): r"^-?(?:90(?:\.0{0,%(places)d})?|[1-8]?[0-9](?:\.[0-9]{0,%(places)d})?)$",
    Decimal(180): (
        r"^-?(?:180(?:\.0{0,%(places)d})?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]{0,%(places)d})?)$"
    ),
}


def decimal_pattern(field: serializers.DecimalField) -> str:
    places = field.decimal_places or 0
    bound = Decimal(field.max_value) if field.max_value is not None else None
    if bound in _COORDINATES and field.min_value is not None and Decimal(field.min_value) == -bound:
        return _COORDINATES[bound] % {"places": places}
    sign = "" if field.min_value is not None and Decimal(field.min_value) >= 0 else "-?"
    whole = (field.max_digits or 30) - places
    fraction = rf"(?:\.[0-9]{{0,{places}}})?" if places else ""
    return rf"^{sign}[0-9]{{1,{whole}}}{fraction}$"


class AutoSchema(SpectacularAutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.DecimalField) and schema.get("format") == "decimal":
            as_string = {"type": "string", "format": "decimal", "pattern": decimal_pattern(field)}
            if direction == "request":
                as_number = {"type": "number", "multipleOf": float(Decimal(1).scaleb(-field.decimal_places))}
                if field.min_value is not None:
                    as_number["minimum"] = float(field.min_value)
                if field.max_value is not None:
                    as_number["maximum"] = float(field.max_value)
                nullable = {"nullable": True} if schema.get("nullable") else {}
                return {"oneOf": [as_string, as_number], **nullable}
            schema.update(as_string)
        return schema


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error answers of every operation."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            errors = dict(ERRORS)
            if path.endswith("/token/"):
                errors["429"] = LOCKED_OUT
            for status, (component, description) in errors.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}
                        },
                    },
                )
    return result
