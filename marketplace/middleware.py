from django.utils import translation


class ApiLanguageMiddleware:
    """API messages in the language the client asks for (Accept-Language).

    Pages take their language from the URL (French at the root, /en/ for English);
    API URLs carry no language, so LocaleMiddleware would always answer in French.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
