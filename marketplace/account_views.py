"""Account pages of the ground floor: the "forgotten password" form, limited per client."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext as _

from marketplace import rate_limits
from marketplace.client_address import client_key
from marketplace.forms import OutboxPasswordResetForm


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
