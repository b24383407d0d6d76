import logging

import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Coalesce, Now
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class EmailUserManager(UserManager):
    """Users log in with their email address; there is no separate username."""

    use_in_migrations = True

    def _create_user(self, username, email, password, **extra_fields):
        # UserManager's create_user/create_superuser pass a username first: here the
        # email is the username.
        email = self.normalize_email(email or username)
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(None, email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # Log-in is case-insensitive on the email address.
        return self.get(email__iexact=username)


class User(AbstractUser):
    """Everyone who logs in: booksellers, the chain's staff, and (later) customers."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    preferred_language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Language of the emails this person receives."),
    )
    # A customer's sign-up waiting for its confirmation link (accounts/services.py):
    # inactive until then, deleted if never confirmed.
    awaiting_confirmation_since = models.DateTimeField(
        _("sign-up awaiting confirmation since"), null=True, blank=True, editable=False
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = EmailUserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(models.functions.Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        full_name = self.get_full_name()
        return f"{full_name} <{self.email}>" if full_name else self.email


class OutgoingEmail(models.Model):
    """The outbox: every email the product sends is first a row here.

    The row is written in the same transaction as the change it reports, so a message
    exists if and only if the change happened. A Celery task sends it after commit and
    marks it sent while holding the row lock, so it goes out once even if the task is
    delivered twice; a periodic sweep re-enqueues rows the broker never delivered.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    # Rows are keyed by the event they report ("shop-approved:42"), so asking twice to
    # announce the same event creates one message.
    event_key = models.CharField(_("event"), max_length=200, unique=True)
    to = models.EmailField(_("recipient"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    # What to send, as the request that made the change said it; the worker renders it
    # into the subject and bodies just before sending (marketplace/services.py).
    # Database defaults: web processes of the previous release, still running during an
    # upgrade, insert rows without these columns.
    template = models.CharField(_("template"), max_length=200, blank=True, db_default="")
    context = models.JSONField(
        _("what the message shows"), default=dict, blank=True, db_default=models.Value({}, models.JSONField())
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("plain-text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    enqueued_at = models.DateTimeField(_("last handed to the queue"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Its recipient, context, subject and bodies were erased (privacy/retention.py).
    anonymised_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["enqueued_at"], condition=models.Q(status="pending"), name="outbox_pending_idx"
            ),
            # The retention job (privacy/register.py): messages still naming someone, by
            # when they were done with. Nearly empty once the job has caught up.
            models.Index(
                Coalesce("sent_at", "created_at"),
                condition=models.Q(anonymised_at__isnull=True),
                name="outbox_to_anonymise",
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {self.to}"

    @classmethod
    def from_db(cls, db, field_names, values):
        """A message read whole shows its text even before the worker rendered it (the
        admin, the demo's mailbox): rendered in memory here, kept in the row only by the
        worker when it sends it. Reading only some columns renders nothing."""
        email = super().from_db(db, field_names, values)
        if (
            not email.get_deferred_fields()
            and email.template
            and not email.subject
            and not email.anonymised_at
        ):
            from marketplace import email_context  # it renders templates: not at import time

            try:
                email_context.render(email)
            except Exception:
                # Shown without its text; the worker records why when it tries to send it.
                logger.warning("Outbox message %s cannot be written for display", email.pk, exc_info=True)
        return email


class StatusChange(models.Model):
    """One step of an object's life, as the people concerned read it: a shop's decisions,
    a listing's moderation, an order's events. Subclasses add the object, the statuses
    from and to, who made the move and why.

    Why these histories beside the audit trail (AuditEntry, written by triggers on every
    change of every row): the audit trail answers "what changed in the database, through
    which request or job" for the chain's staff, every field included, and is never
    shown to a shop or a customer. These are part of the product: the reason a moderator
    typed, the events an order's page lists, the rejection a resubmission link points to
    (emails and links name their rows). The services write them with the move itself,
    in the same transaction (marketplace/state_machine.py)."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]


class AuditEntry(models.Model):
    """One change of a shop's, a listing's or an order's status (or another audited field),
    written by database triggers (marketplace/audit.py): nothing in Python writes here, and
    the table refuses updates and deletes, so the trail is append-only even for the admin
    or a script."""

    class Kind(models.TextChoices):
        SHOP = "shop", _("Shop")
        LISTING = "listing", _("Listing")
        ORDER = "order", _("Order")
        # Someone's request to download or erase their personal data (privacy/models.py).
        PERSONAL_DATA = "personal_data", _("Personal data request")

    happened_at = models.DateTimeField(_("when"), db_default=Now())
    kind = models.CharField(_("what"), max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField(_("object"))
    # The shop the object belongs to: drive staff see the entries of their drives' shops.
    shop_id = models.BigIntegerField(_("shop"), null=True, blank=True)
    field = models.CharField(_("field"), max_length=40)
    before = models.CharField(_("before"), max_length=200, blank=True)
    after = models.CharField(_("after"), max_length=200, blank=True)
    # No database constraint: an entry outlives the account (and must not block deleting it).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # What pghistory attached to the transaction: the page ("url") or the job ("job").
    context = models.JSONField(_("context"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-happened_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "object_id"], name="audit_by_object"),
            models.Index(fields=["shop_id", "-happened_at"], name="audit_by_shop"),
            models.Index(fields=["-happened_at"], name="audit_by_time"),
        ]
        triggers = [
            pgtrigger.Protect(name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.object_id}: {self.field} {self.before or '∅'} → {self.after}"


class ModerationReason(models.Model):
    """A ready-made reason moderators pick when they turn down an application or a listing;
    its text is what the shop reads (the moderator may add to it)."""

    class AppliesTo(models.TextChoices):
        SHOP = "shop", _("Shop applications")
        LISTING = "listing", _("Listings")

    applies_to = models.CharField(_("for"), max_length=16, choices=AppliesTo.choices)
    label = models.CharField(_("name"), max_length=80, help_text=_("What moderators see in the list."))
    text = models.TextField(_("text sent to the shop"), max_length=2000)
    is_active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("moderation reason")
        verbose_name_plural = _("moderation reasons")
        ordering = ["applies_to", "position", "label"]

    def __str__(self):
        return self.label


class Heartbeat(models.Model):
    """When a periodic job last ran on a Celery worker: beat sent it, the broker carried it,
    a worker ran it (marketplace/health.py). /healthz reports the worker down when the beat
    is old. Kept in the database rather than in Redis, which may be the part that failed."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    beat_at = models.DateTimeField(_("last beat"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name}: {self.beat_at}"
