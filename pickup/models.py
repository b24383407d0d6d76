"""The "collect": what happens at the shop's counter."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CodeAttempt(models.Model):
    """A pickup code typed on the counter page. Wrong ones are counted to stop guessing
    (per user and per shop, over a sliding window) and kept as a trace for the chain."""

    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.CASCADE, related_name="code_attempts", verbose_name=_("shop")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    code = models.CharField(_("code typed"), max_length=40)
    succeeded = models.BooleanField(_("right code"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("pickup code attempt")
        verbose_name_plural = _("pickup code attempts")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="code_attempt_by_user"),
            models.Index(fields=["shop", "created_at"], name="code_attempt_by_shop"),
        ]

    def __str__(self):
        return f"{self.code} ({'ok' if self.succeeded else 'wrong'})"
