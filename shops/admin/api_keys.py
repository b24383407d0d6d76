"""Till software's API keys, one shop each."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from shops import services
from shops.models import (
    Shop,
    ShopApiToken,
)
from shops.selectors import api_tokens_for_user, shops_for_user


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ShopApiToken
        fields = ["shop", "name"]


@admin.register(ShopApiToken)
class ShopApiTokenAdmin(admin.ModelAdmin):
    """API keys for till software. The key is shown once, right after it is created."""

    form = ApiKeyForm
    add_label = _("Create an API key")
    list_display = ["name", "shop", "prefix", "created_at", "last_used_at", "is_active"]
    # Only the shops of the keys the person sees: a plain "shop" filter offers every shop of
    # the network, pending applicants' names included, to any bookseller.
    list_filter = [("shop", admin.RelatedOnlyFieldListFilter)]
    actions = ["revoke"]

    def get_queryset(self, request):
        return api_tokens_for_user(request.user).select_related("shop")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "shop":
            kwargs["queryset"] = shops_for_user(request.user).filter(status=Shop.Status.APPROVED)
            only = list(kwargs["queryset"][:2])
            if len(only) == 1:  # most booksellers have one shop: nothing to choose
                kwargs["initial"] = only[0].pk
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False  # a key is created, used, revoked; never edited

    def has_delete_permission(self, request, obj=None):
        return False  # revoked keys stay listed, with their dates

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, token):
        return token.is_active

    def save_model(self, request, obj, form, change):
        obj.pk = None
        token, key = services.api_token_create(
            shop=form.cleaned_data["shop"], name=form.cleaned_data["name"], by=request.user
        )
        request._created_api_key = (token, key)

    def response_add(self, request, obj, post_url_continue=None):
        token, key = request._created_api_key
        return TemplateResponse(
            request,
            "admin/shops/shopapitoken/created.html",
            {**self.admin_site.each_context(request), "opts": self.opts, "token": token, "key": key,
             "title": _("Your new API key")},
        )  # fmt: skip

    @admin.action(description=_("Revoke the selected keys"), permissions=["view"])
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token)
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", len(queryset))
            % {"count": len(queryset)},
            messages.SUCCESS,
        )
