import logging

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from marketplace import rate_limits
from marketplace.client_address import client_key
from marketplace.http import private_page
from shops import services
from shops.drive_session import choose_drive
from shops.forms import ShopApplicationForm, ShopResubmissionForm, duplicate_siret_message
from shops.models import Drive, Shop, ShopKind
from shops.selectors import drives_by_region, drives_matching, open_shops

APPLIED_SHOP_SESSION_KEY = "applied_shop_id"
logger = logging.getLogger(__name__)


def home(request):
    """The site's front page: how many shops take part, and the way to one's drive."""
    shop_count = Shop.objects.filter(status=Shop.Status.APPROVED).count()
    return render(request, "home.html", {"shop_count": shop_count})


def apply(request):
    """The public application form. Without JavaScript, "Find drives" re-displays the
    form with the drives near the postcode; with it, they appear as the postcode is typed."""
    status = 200
    if request.method == "POST" and "suggest_drives" not in request.POST:
        form = ShopApplicationForm(request.POST, request.FILES)
        if form.is_valid() and form.sent_by_a_robot:
            logger.info("Shop application dropped: the robots' field was filled in.")
            # Nothing saved, nobody emailed; the robot is sent where a person would be (the
            # thank-you page, which without an application in the session shows the form).
            return redirect("shops:apply_done")
        if form.is_valid() and not _application_allowed(request):
            form.add_error(
                None,
                _("Several applications were sent from your connection in the last hour. Please try again "
                  "later, or write to us if you need to send more."),
            )  # fmt: skip
            status = 429
        elif form.is_valid():
            shop = form.save(commit=False)
            shop.language = translation.get_language()
            try:
                services.shop_apply(
                    shop=shop, drives=form.cleaned_data["drives"], kinds=form.cleaned_data["kinds"]
                )
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
    return render(request, "shops/apply.html", {"form": form}, status=status)


def _application_allowed(request) -> bool:
    """Each application emails its applicant: a few an hour from one client address, so
    that the form cannot send mail to strangers in bulk (counted atomically)."""
    rate = rate_limits.Rate(settings.SHOP_APPLICATIONS_PER_ADDRESS_PER_HOUR, 3600)
    return rate_limits.hit(scope="shop-applications", who=client_key(request), rate=rate).allowed


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


@private_page
def resubmit(request, signed):
    """The link in a rejection email: the reason, and the application as it was sent,
    to correct and send again. SIRET aside, the fields and their checks are the
    application form's."""
    try:
        link = services.resubmission_link_verify(signed=signed)
    except services.ResubmissionRefused as refused:
        return _resubmission_refused(request, refused)
    shop = link.shop
    if request.method == "POST" and "suggest_drives" not in request.POST:
        form = ShopResubmissionForm(request.POST, request.FILES, instance=shop)
        if form.is_valid():
            corrected = form.save(commit=False)
            corrected.language = translation.get_language()
            try:
                services.shop_resubmit(
                    shop=corrected,
                    rejection=link.rejection,
                    drives=form.cleaned_data["drives"],
                    note=form.cleaned_data["note"],
                )
            except services.ResubmissionRefused as refused:  # sent from another tab meanwhile
                return _resubmission_refused(request, refused)
            request.session[APPLIED_SHOP_SESSION_KEY] = shop.pk
            return redirect("shops:apply_done")
    elif request.method == "POST":
        # Keep what was typed (files cannot be kept) and show the drives for the postcode.
        form = ShopResubmissionForm(initial=request.POST.dict(), instance=shop)
        if request.FILES:
            messages.info(request, _("Please choose your logo again."))
    else:
        form = ShopResubmissionForm(
            instance=shop, initial={"drives": [drive.pk for drive in shop.drives.all()]}
        )
    return render(request, "shops/resubmit.html", {"form": form, "shop": shop, "rejection": link.rejection})


def _resubmission_refused(request, refused):
    return render(request, "shops/resubmit_refused.html", {"message": refused.message}, status=refused.status)


def drive_list(request):
    """Find a drive by town or postcode, or browse them all by region."""
    text = request.GET.get("q", "").strip()[:100]
    context = {"q": text}
    if text:
        context["matches"] = drives_matching(text=text)
    else:
        context["regions"] = drives_by_region()
    return render(request, "shops/drive_list.html", context)


def drive_detail(request, slug):
    """A drive's page: its shops grouped by kind (a shop of two kinds is in both groups)."""
    drive = get_object_or_404(Drive, slug=slug, is_active=True)
    partners = list(open_shops().filter(drives=drive).prefetch_related("kinds").order_by("trade_name"))
    groups = [
        (kind.name, shops)
        for kind in ShopKind.objects.all()
        if (shops := [shop for shop in partners if kind in shop.kinds.all()])
    ]
    if without_kind := [shop for shop in partners if not shop.kinds.all()]:
        groups.append((_("Other shops"), without_kind))
    return render(
        request, "shops/drive_detail.html", {"drive": drive, "partners": partners, "groups": groups}
    )


@require_POST
def drive_choose(request, slug):
    drive = get_object_or_404(Drive, slug=slug, is_active=True)
    choose_drive(request, drive)
    messages.success(request, _("Your drive is now %(drive)s.") % {"drive": drive.name})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("search")
    return redirect(next_url)
