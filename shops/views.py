from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shops import services
from shops.forms import ShopApplicationForm, duplicate_siret_message
from shops.models import Shop

APPLIED_SHOP_SESSION_KEY = "applied_shop_id"


def apply(request):
    """The public application form. Without JavaScript, "Find drives" re-displays the
    form with the drives near the postcode; with it, they appear as the postcode is typed."""
    if request.method == "POST" and "suggest_drives" not in request.POST:
        form = ShopApplicationForm(request.POST, request.FILES)
        if form.is_valid():
            shop = form.save(commit=False)
            shop.language = translation.get_language()
            try:
                services.shop_apply(shop=shop, drives=form.cleaned_data["drives"])
            except services.DuplicateShopApplication:
                existing = Shop.objects.get(siret=shop.siret)
                form.add_error("siret", duplicate_siret_message(existing))
            else:
                request.session[APPLIED_SHOP_SESSION_KEY] = shop.pk
                return redirect("shops:apply_done")
    elif request.method == "POST":
        # Keep what was typed (files cannot be kept) and show the drives for the postcode.
        form = ShopApplicationForm(initial=request.POST.dict())
        if request.FILES:
            messages.info(request, _("Please choose your logo again."))
    else:
        form = ShopApplicationForm(initial={"postcode": request.GET.get("postcode", "")})
    return render(request, "shops/apply.html", {"form": form})


@require_GET
def apply_drives(request):
    """Fragment for the application form: drives and towns for the postcode being typed."""
    postcode = request.GET.get("postcode", "").strip()
    form = ShopApplicationForm(initial={"postcode": postcode})
    return render(request, "shops/_apply_drives.html", {"form": form})


def apply_done(request):
    shop_id = request.session.get(APPLIED_SHOP_SESSION_KEY)
    shop = Shop.objects.filter(pk=shop_id).first() if shop_id else None
    if shop is None:
        return redirect("shops:apply")
    return render(request, "shops/apply_done.html", {"shop": shop})
