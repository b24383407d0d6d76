"""The "collect": what happens at the shop's counter, and the links booksellers act from."""

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


class UsedActionLink(models.Model):
    """A signed link from a shop's email that has been used: each works once."""

    nonce = models.CharField(_("link"), max_length=64, unique=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="+", verbose_name=_("order")
    )
    action = models.CharField(_("action"), max_length=20)
    used_at = models.DateTimeField(_("used"), auto_now_add=True)

    class Meta:
        verbose_name = _("used action link")
        verbose_name_plural = _("used action links")

    def __str__(self):
        return f"{self.action} {self.order_id}"
