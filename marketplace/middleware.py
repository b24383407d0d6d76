from django.shortcuts import render
from django.utils import translation


class ApiLanguageMiddleware:
    """API messages in the language the client asks for (Accept-Language).

    Pages take their language from the URL (French at the root, /en/ for English);
    API URLs carry no language, so LocaleMiddleware would always answer in French.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        language = translation.get_language_from_request(request, check_path=False)
        request.LANGUAGE_CODE = language
        # override, not activate: the thread goes back to its language after the request.
        with translation.override(language):
            return self.get_response(request)


class RefuseNulCharactersMiddleware:
    """A page whose address, query or cookies hold a NUL character gets a 400 saying so,
    in the person's language, before any view runs.

    No text of ours may hold one: PostgreSQL refuses it in every query (a 500 wherever a
    view looks up what the address says, `/books/%00/`). Forms refuse it field by field
    (Django's ProhibitNullCharactersValidator: the form comes back with the error), and
    the API checks its parameters and JSON bodies itself, answering as its description
    says (marketplace/api_errors.py): both are left to do so. After LocaleMiddleware
    (the message's language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _holds_nul(request):
            return render(request, "bad_request_nul.html", status=400)
        return self.get_response(request)


def _holds_nul(request) -> bool:
    if request.path_info.startswith("/api/"):
        return False  # the API refuses it field by field, as its description says
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    return any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items())
