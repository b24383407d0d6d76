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
