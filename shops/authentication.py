"""API authentication for till software: a shop's API key in the Authorization header."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from shops.selectors import api_token_for_key
from shops.services import api_token_record_use


class ShopClient:
    """Who is calling: a shop's software, not a person. DRF wants a `user`."""

    is_authenticated = True
    is_active = True

    def __init__(self, token):
        self.token = token
        self.shop = token.shop

    def __str__(self):
        return f"API key {self.token.prefix} of {self.shop.trade_name}"


class ShopApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer ds_…` (or `Token ds_…`)."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the API key after “Bearer”, with no spaces in it."))
        token = api_token_for_key(header[1])
        if token is None:
            raise exceptions.AuthenticationFailed(_("This API key is unknown or was revoked."))
        api_token_record_use(token=token)
        return ShopClient(token), token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class IsShopClient(permissions.BasePermission):
    """Only shops' API keys: a logged-in person's session is not enough."""

    def has_permission(self, request, view):
        return isinstance(request.user, ShopClient)


class ShopApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ShopApiKeyAuthentication
    name = "shopApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A shop's API key (ds_…), created by the bookseller in the admin (API keys).",
        }
