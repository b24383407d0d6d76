"""The API's description states every answer an endpoint can give, not only its success.

`ApiAutoSchema` (settings: REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) adds to each
operation the errors its view can produce, from what the view is made of, so that the
description cannot forget one: a body that is not JSON (400), too large (413) or not
sent as JSON (415); a missing key (401); too many requests (429, with Retry-After);
an unknown object (404); an Accept header that admits no JSON (406). Errors an endpoint
describes itself (with its own examples) are kept; a body's 400 then also admits the
`{detail, code}` of a body that could not be read.

An empty query parameter (`?lat=`) counts as absent, as in the web forms: optional
query parameters say so (`allowEmptyValue`).
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for people (in the Accept-Language).")
    code = serializers.CharField(help_text="What went wrong, for programs.")


VALIDATION_ERRORS_NAME = "ValidationErrors"
VALIDATION_ERRORS_REF = {"$ref": f"#/components/schemas/{VALIDATION_ERRORS_NAME}"}
VALIDATION_ERRORS = {
    "type": "object",
    "description": (
        "For each parameter or field at fault, what is wrong with it, in the Accept-Language: a list of "
        "messages; for a nested object, the same by field, and for a list, by position (from 0)."
    ),
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, VALIDATION_ERRORS_REF],
    },
    "example": {"lat": ["Ensure this value is less than or equal to 90."]},
}

BAD_PARAMETERS = OpenApiResponse(
    response=VALIDATION_ERRORS_REF,
    description="A parameter is missing or invalid: for each one, what is wrong (in the Accept-Language).",
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such object (or, for a list, a page past the last one)."
)
THROTTLED = OpenApiResponse(
    ErrorSerializer, description="Too many requests from this address: wait the Retry-After seconds."
)
NO_KEY = OpenApiResponse(ErrorSerializer, description="No API key, or one that is unknown or revoked.")

RETRY_AFTER = {
    "Retry-After": {
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds to wait before trying again.",
    }
}
MAX_BODY_NOTE = "DATA_UPLOAD_MAX_MEMORY_SIZE, 5 MB by default"


class ApiAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        registry.register_on_missing(
            ResolvedComponent(
                name=VALIDATION_ERRORS_NAME,
                type=ResolvedComponent.SCHEMA,
                schema=VALIDATION_ERRORS,
                object=VALIDATION_ERRORS_NAME,
            )
        )
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        self._add_errors(operation["responses"], has_body="requestBody" in operation)
        return operation

    def _add_errors(self, responses: dict, *, has_body: bool) -> None:
        error = self.resolve_serializer(ErrorSerializer, "response").ref

        def add(code: str, description: str, **extra) -> None:
            content = {"content": {"application/json": {"schema": error}}}
            responses.setdefault(code, {"description": description, **content, **extra})

        if has_body:
            unreadable = "The body is not JSON, or is nested more than 32 levels deep (`detail` and `code`)."
            if "400" in responses:
                media = responses["400"]["content"]["application/json"]
                media["schema"] = {"anyOf": [media["schema"], error]}
                responses["400"]["description"] += " " + unreadable
            else:
                add("400", unreadable)
            add("413", f"The body is larger than the limit ({MAX_BODY_NOTE}): nothing was read.")
            add("415", "The body is not sent as application/json.")
        if self._needs_credentials():
            add("401", NO_KEY.description)
        if self.view.throttle_classes:
            add("429", THROTTLED.description)
        if "429" in responses:
            responses["429"].setdefault("headers", {}).update(RETRY_AFTER)
        if "{" in self.path:
            add("404", "No such object.")
        add("406", "The Accept header admits no JSON.")

    def _needs_credentials(self) -> bool:
        return bool(self.view.authentication_classes) and not all(
            issubclass(permission, AllowAny) for permission in self.view.permission_classes
        )
