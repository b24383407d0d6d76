"""The requests people make about their personal data (download, erase), as the chain must
be able to show it answered them: what was done, when, through which channel, by whom on
the chain's side, how many records it touched. Never who asked: the request would
otherwise keep the very details it erased (privacy/rights.py)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketplace.audit import audit_triggers


class DataRequest(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", _("Download of their data")
        ERASURE = "erasure", _("Erasure of their data")

    class Channel(models.TextChoices):
        ACCOUNT = "account", _("From their account")
        EMAIL_LINK = "email_link", _("From a link sent to their email address")
        HEAD_OFFICE = "head_office", _("By head office, for a request received by post")

    kind = models.CharField(_("request"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("made"), max_length=16, choices=Channel.choices)
    # The head office member who carried it out (a request by post); nobody otherwise.
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    # {kind of data: records exported or erased}: figures only.
    records = models.JSONField(_("records"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        ordering = ["-created_at"]
        triggers = audit_triggers(kind="personal_data", fields=("kind",), shop_column=None, on_insert=True)

    def __str__(self):
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d})"
