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
    """A request whose address, query, cookies or form fields hold a NUL character gets a
    400 saying so, in the person's language, before any view runs.

    No text of ours may hold one: PostgreSQL refuses it in every query (a 500 wherever a
    view looks up what the address says, `/books/%00/`). Forms refuse it field by field
    already; this closes it for every view at once. The API checks its JSON bodies itself
    (marketplace/api_errors.py), and JsonErrorsMiddleware, before this one, turns this 400
    into JSON under /api/. After LocaleMiddleware (the message's language), before
    CsrfViewMiddleware (which reads the form first otherwise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _holds_nul(request):
            return render(request, "bad_request_nul.html", status=400)
        return self.get_response(request)


def _holds_nul(request) -> bool:
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    if any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items()):
        return True
    if request.method == "POST" and not request.path_info.startswith("/api/"):
        return any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.POST.lists()
        )
    return False
