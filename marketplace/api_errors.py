"""How the API refuses a request: always JSON, always in the caller's language.

- `JsonParser` reads request bodies: one larger than DATA_UPLOAD_MAX_MEMORY_SIZE is
  refused (413) before it is read, and a body that is not JSON, or JSON nested deeper
  than any of our requests (a deeply nested body would exhaust Python's recursion, a
  500), is a 400 whose message says where it went wrong.
- `api_exception_handler` gives every DRF error a `code` next to its `detail`, and puts
  DRF's throttling message wholly in the caller's language.
- `JsonErrorsMiddleware` answers in JSON what Django answers before any API view runs:
  an address under /api/ that matches no endpoint (404), a refused host (400)...

Error bodies: `{"detail": "…", "code": "…"}`, or for invalid fields, what is wrong with
each (marketplace/api_schema.py describes both).
"""

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.json import strict_constant

API_PREFIX = "/api/"
# Our requests nest 4 levels at most (a bulk update's items, their authors).
MAX_JSON_DEPTH = 32


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self):
        limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        super().__init__(_("The body is larger than %(limit)s: send less at a time.") % {"limit": limit})


class JsonParser(JSONParser):
    """DRF's JSON parser (strict: no NaN), with a size limit, a depth limit, no NUL
    character, and translated messages."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = parser_context.get("request")
        if limit is not None and request is not None and _content_length(request.META) > limit:
            raise RequestTooLarge
        try:
            encoding = get_encoding(parser_context)
        except exceptions.ParseError:
            raise exceptions.ParseError(
                _("The charset of the Content-Type header is not supported: send the body in UTF-8.")
            ) from None
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge
        try:
            data = json.loads(raw.decode(encoding), parse_constant=strict_constant if self.strict else None)
        except RecursionError:
            raise _too_deep() from None
        except json.JSONDecodeError as error:
            raise exceptions.ParseError(
                _("The body is not valid JSON (line %(line)s, column %(column)s).")
                % {"line": error.lineno, "column": error.colno}
            ) from None
        except ValueError:  # not text in that charset, or NaN and the infinities
            raise exceptions.ParseError(_("The body is not valid JSON.")) from None
        _check_depth_and_text(data)
        return data


def _content_length(meta) -> int:
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_deep() -> exceptions.ParseError:
    return exceptions.ParseError(
        _("The body’s JSON is nested more than %(depth)s levels deep.") % {"depth": MAX_JSON_DEPTH}
    )


def _check_depth_and_text(data) -> None:
    """Without recursion: the data may be as deep as the parser allowed."""
    pending = [(data, 1)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                # PostgreSQL stores no text holding it: refused here, not by the database (a 500).
                raise exceptions.ParseError(_("The body holds a NUL character, which no text may hold."))
            continue
        if isinstance(value, dict):
            children = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            children = value
        else:
            continue
        if level > MAX_JSON_DEPTH:
            raise _too_deep()
        pending.extend((child, level + 1) for child in children)


def api_exception_handler(exc, context):
    """DRF's handler (settings: REST_FRAMEWORK["EXCEPTION_HANDLER"]), plus a `code`, and
    always rendered as JSON."""
    # Imported here: rest_framework.views reads the settings, which name JsonParser, in this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        # DRF fills the number in before looking the sentence up, so it is never translated.
        wait = exc.wait
        plural = ngettext(exc.extra_detail_singular, exc.extra_detail_plural, wait).format(wait=wait)
        exc = exceptions.Throttled(wait=None, detail=f"{exceptions.Throttled.default_detail} {plural}")
        exc.wait = wait
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(getattr(exc, "detail", None), str):
        response.data["code"] = exc.detail.code
    # A browser gets the browsable API's pages, but its errors in JSON, as any caller.
    request = context.get("request")
    if request is not None:
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
    return response


class JsonErrorsMiddleware:
    """Errors under /api/ that no API view produced (Django's 404 for an unknown address,
    its 400 for a refused host or body) as JSON, like the API's own. In MIDDLEWARE after
    ApiLanguageMiddleware, so the message is in the caller's language; a DEBUG server's
    500 keeps its traceback page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX) and "\x00" in request.path_info:
            return json_error(status.HTTP_404_NOT_FOUND)  # no address holds one; the database refuses it
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path_info.startswith(API_PREFIX)
            or _is_json(response)
            or (settings.DEBUG and response.status_code >= 500)
        ):
            return response
        return json_error(response.status_code)


def _is_json(response) -> bool:
    media_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def json_error(status_code: int) -> JsonResponse:
    if status_code == status.HTTP_404_NOT_FOUND:
        detail = _("There is no such address in the API: see %(docs)s.") % {"docs": "/api/docs/"}
        code = exceptions.NotFound.default_code
    else:
        error = {
            400: exceptions.ParseError,
            401: exceptions.NotAuthenticated,
            403: exceptions.PermissionDenied,
            413: RequestTooLarge,
        }.get(status_code, exceptions.APIException)()
        detail, code = str(error.detail), error.detail.code
    return JsonResponse({"detail": detail, "code": code}, status=status_code)
