"""HTTP plumbing every app's views share."""

from functools import wraps

from django.views.decorators.cache import never_cache


def private_page(view):
    """A page behind an unguessable token: never cached, and its address (the token)
    never sent to another site as a Referer. "same-origin" rather than "no-referrer":
    with the latter, browsers post this page's forms with `Origin: null`, which
    Django's CSRF check rightly refuses."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        return response

    return never_cache(wrapper)
