"""Account pages: customers' log-in, log-out and sign-up (the account waits for its
confirmation link), and the "forgotten password" form, limited per client."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts import services
from accounts.forms import ChoosePasswordForm, CustomerLoginForm, CustomerSignupForm, OutboxPasswordResetForm
from marketplace import rate_limits
from marketplace.client_address import client_key
from marketplace.http import private_page
from marketplace.login_guard import guarded_login

SIGNUP_SENT_SESSION_KEY = "signup_sent_to"


class PasswordResetView(auth_views.PasswordResetView):
    """Django's form, sending through the outbox, at most PASSWORD_RESETS_PER_ADDRESS_PER_HOUR
    times an hour from one client (each account also gets at most a few links an hour:
    OutboxPasswordResetForm). Whether the address has an account is never said."""

    form_class = OutboxPasswordResetForm

    def form_valid(self, form):
        rate = rate_limits.Rate(settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR, 3600)
        if not rate_limits.hit(scope="password-resets", who=client_key(self.request), rate=rate).allowed:
            # Under the address field: the admin's template shows no form-wide errors.
            form.add_error(
                "email",
                _(
                    "Many new passwords were asked from your connection in the last hour. Please try again later."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class CustomerLoginView(auth_views.LoginView):
    """Customers log in here (the bookseller space has its own page); the cart stays."""

    template_name = "registration/login.html"
    authentication_form = CustomerLoginForm

    def get_default_redirect_url(self):
        return reverse("my_orders")


customer_login = never_cache(guarded_login(CustomerLoginView.as_view()))
customer_logout = auth_views.LogoutView.as_view(next_page="home")


@never_cache
def customer_signup(request):
    """Sign-up: the account waits for its confirmation link, and the page says the same
    whether the email already had an account or not (accounts/services.py)."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    form = CustomerSignupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if rate_limits.hit(scope="signups", who=client_key(request), rate=signups_rate()).allowed:
            services.signup_request(
                request=services.SignupRequest(
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    email=form.cleaned_data["email"],
                    language=translation.get_language(),
                    next_url=next_url,
                )
            )
            request.session[SIGNUP_SENT_SESSION_KEY] = form.cleaned_data["email"]
            return redirect("customer_signup_sent")
        form.add_error(
            None,
            _("Many accounts were created from your connection in the last hour. Please try again later."),
        )
        status = 429
    return render(request, "registration/signup.html", {"form": form, "next": next_url}, status=status)


@never_cache
def customer_signup_sent(request):
    email = request.session.get(SIGNUP_SENT_SESSION_KEY)
    if not email:
        return redirect("customer_signup")
    return render(request, "registration/signup_sent.html", {"email": email})


@private_page  # the link's token is in the address
def customer_signup_confirm(request, signed):
    """The link of the confirmation email: its owner chooses the password (a mail scanner
    opening the link sets nothing), then the account is open and they are logged in."""
    try:
        user, next_url = services.signup_link_verify(signed=signed)
    except services.SignupLinkRefused as refused:
        return render(request, "registration/signup_refused.html", {"message": str(refused)}, status=410)
    form = ChoosePasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.signup_confirm(user=user, password=form.cleaned_data["new_password1"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session.pop(SIGNUP_SENT_SESSION_KEY, None)
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect(_safe_next(request, next_url) or "my_orders")
    return render(request, "registration/signup_confirm.html", {"account": user, "form": form})


def signups_rate() -> rate_limits.Rate:
    return rate_limits.Rate(settings.SIGNUPS_PER_ADDRESS_PER_HOUR, 3600)


def _safe_next(request, next_url: str) -> str:
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return ""
    return next_url
