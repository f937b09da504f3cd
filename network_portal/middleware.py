from django.conf import settings
from django.core.exceptions import BadRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers


class PortalLocaleMiddleware(LocaleMiddleware):
    """Nynorsk unless the visitor chose another language with the switcher.

    Django's own middleware falls back to the browser's Accept-Language header; the county
    writes Nynorsk, so the portal speaks it until someone asks for Bokmål or English.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else None
        except LookupError:
            language = None
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class RefuseNulInQueryMiddleware:
    """A query string with a NUL byte is a 400 Bad Request.

    No link of ours carries one, and PostgreSQL refuses NUL even in a search: the admin's
    autocomplete (`?term=%00`) was a 500. Posted forms are left to the forms, which say which
    field is wrong.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("NUL byte in the query string")
        return self.get_response(request)
