import uuid
from datetime import date, timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from marketplace.audit import audit_triggers, stamp_status_changed_at
from marketplace.bilingual import in_page_language
from marketplace.images import ImageUploadValidator
from marketplace.models import StatusChange
from marketplace.state_machine import Move, StateMachine
from shops.cache_version import shops_changed
from shops.regions import Region, region_for_postcode
from shops.validators import validate_siret

LATITUDE_VALIDATORS = [MinValueValidator(-90), MaxValueValidator(90)]
LONGITUDE_VALIDATORS = [MinValueValidator(-180), MaxValueValidator(180)]


class Locality(models.Model):
    """One row of La Poste's official postcode table (base officielle des codes postaux).

    A postcode can serve several communes and a commune several postcodes; the
    coordinates are the commune's centroid, good enough to measure distances between
    towns. Filled by `manage.py import_postcodes`.
    """

    postcode = models.CharField(_("postcode"), max_length=5, db_index=True)
    insee_code = models.CharField(_("INSEE code"), max_length=5)
    name = models.CharField(_("commune"), max_length=100, help_text=_("As La Poste writes it."))
    # A "lieu-dit" or former commune merged into `name` (La Poste's "ligne 5").
    place = models.CharField(_("place"), max_length=100, blank=True)
    latitude = models.FloatField(_("latitude"), validators=LATITUDE_VALIDATORS)
    longitude = models.FloatField(_("longitude"), validators=LONGITUDE_VALIDATORS)

    class Meta:
        verbose_name = _("locality")
        verbose_name_plural = _("localities")
        ordering = ["postcode", "name"]
        constraints = [
            models.UniqueConstraint(fields=["postcode", "insee_code", "place"], name="locality_unique_row"),
        ]
        # The drive finder looks towns up by name, whole or begun ("quimp", "PARIS 01"…).
        indexes = [
            models.Index(fields=["name"], opclasses=["varchar_pattern_ops"], name="locality_name"),
            models.Index(fields=["place"], name="locality_place"),
        ]

    def __str__(self):
        return f"{self.postcode} {self.name}" + (f" ({self.place})" if self.place else "")


class Place(models.Model):
    """A street address with the coordinates distances are measured from."""

    address = models.CharField(_("address"), max_length=255)
    postcode = models.CharField(_("postcode"), max_length=5)
    town = models.CharField(_("town"), max_length=100)
    latitude = models.FloatField(_("latitude"), validators=LATITUDE_VALIDATORS)
    longitude = models.FloatField(_("longitude"), validators=LONGITUDE_VALIDATORS)

    class Meta:
        abstract = True


class Drive(Place):
    """A supermarket of the chain. Customers choose "their" drive; shops of its town join it."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    region = models.CharField(_("region"), max_length=3, choices=Region.choices, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("drive")
        verbose_name_plural = _("drives")
        ordering = ["town", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Derived from the postcode, kept in a column to list drives by region.
        self.region = region_for_postcode(self.postcode)
        if kwargs.get("update_fields") is not None and "postcode" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "region"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("drive", args=[self.slug])


def answer_hours_min() -> int:
    """The chain's bounds on a shop's time to answer (read when a value is checked, so
    that changing the setting needs no migration)."""
    return settings.ORDER_ANSWER_MIN_OPENING_HOURS


def answer_hours_max() -> int:
    return settings.ORDER_ANSWER_MAX_OPENING_HOURS


def logo_upload_to(shop, filename):
    # Random names: the uploaded file name may be personal, and must not be guessable.
    return f"shops/logos/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class ShopKind(models.Model):
    """A kind of local business: bookshop, games and toys, record shop… Data head office
    manages in the back office (no code change, no deployment for a new kind); a shop
    has one or more, chosen when it applies."""

    # Kinds the product knows by their code (they come with the first migration).
    BOOKSHOP, GAMES_AND_TOYS = "bookshop", "games-toys"

    code = models.SlugField(
        _("code"), max_length=40, unique=True, help_text=_("Short and unchanging, e.g. games-toys.")
    )
    name_fr = models.CharField(_("name in French"), max_length=80)
    name_en = models.CharField(_("name in English"), max_length=80)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Kinds are listed in this order, then by code.")
    )

    class Meta:
        verbose_name = _("kind of shop")
        verbose_name_plural = _("kinds of shop")
        ordering = ["position", "code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        transaction.on_commit(shops_changed)  # drive pages name the kinds: cached copies go

    @property
    def name(self) -> str:
        """The name in the language of the page (French unless it is English)."""
        return in_page_language(self.name_fr, self.name_en)


class Shop(Place):
    """A local business that lists its stock on the marketplace."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Application under review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")

    # Every status change goes through one service in shops/services.py, by name.
    MOVES = StateMachine(
        Move("approve", {Status.PENDING}, Status.APPROVED, _("Approve")),
        Move("reject", {Status.PENDING}, Status.REJECTED, _("Reject")),
        Move("suspend", {Status.APPROVED}, Status.SUSPENDED, _("Suspend")),
        Move("reinstate", {Status.SUSPENDED}, Status.APPROVED, _("Reinstate")),
        # The applicant corrects the application and sends it again (their link, no button).
        Move("resubmit", {Status.REJECTED}, Status.PENDING),
    )

    trade_name = models.CharField(_("shop name"), max_length=120, help_text=_("The name customers know."))
    slug = models.SlugField(_("address of its page"), max_length=160, unique=True, editable=False)
    legal_name = models.CharField(
        _("legal name"), max_length=200, help_text=_("As registered (raison sociale).")
    )
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        unique=True,
        validators=[validate_siret],
        error_messages={"unique": _("A shop with this SIRET number has already applied.")},
    )
    kinds = models.ManyToManyField(ShopKind, related_name="shops", verbose_name=_("kinds of shop"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    # Kept by a trigger (marketplace/audit.py): how long an application has waited.
    status_changed_at = models.DateTimeField(_("status since"), db_default=Now(), editable=False)

    drives = models.ManyToManyField(Drive, related_name="shops", verbose_name=_("drives"), blank=True)

    phone = PhoneNumberField(_("phone"))
    email = models.EmailField(_("email"))
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    logo = models.ImageField(
        _("logo"), upload_to=logo_upload_to, blank=True, validators=[ImageUploadValidator()]
    )

    # The person who applied; their account is created when the shop is approved.
    contact_first_name = models.CharField(_("contact's first name"), max_length=150)
    contact_last_name = models.CharField(_("contact's last name"), max_length=150)
    contact_email = models.EmailField(_("contact's email"))
    contact_phone = PhoneNumberField(_("contact's phone"), blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Language of the emails about this shop."),
    )

    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="shops", verbose_name=_("members")
    )
    # Collection (the "collect" of click and collect): see shops/hours.py.
    preparation_hours = models.PositiveSmallIntegerField(
        _("preparation time (opening hours)"),
        default=2,
        validators=[MaxValueValidator(120)],
        help_text=_(
            "How many opening hours you need to set a reservation aside. Customers see "
            "“ready by …” computed from it and your opening hours."
        ),
    )
    holding_days = models.PositiveSmallIntegerField(
        _("holding period (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_(
            "How long a ready order waits at the counter. The customer is reminded two days "
            "before; after that the order expires and the books go back on sale."
        ),
    )
    answer_within_hours = models.PositiveSmallIntegerField(
        _("time to answer a new order (opening hours)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(answer_hours_min), MaxValueValidator(answer_hours_max)],
        help_text=_(
            "Empty: by closing time of your next full opening day. A new order holds its books until "
            "you accept or refuse it; you are reminded before this time, and an order still unanswered "
            "is then cancelled and the customer told."
        ),
    )
    # "Order it for me" (commande client): a book no shop around holds in stock, ordered
    # from the distributor for a customer (orders/services.py, distributor_order_place).
    # Database defaults too: bulk writers (the data generator's COPY) and a previous
    # version's code still running during a deploy write shops without these columns.
    takes_orders = models.BooleanField(
        _("orders books for customers"),
        default=False,
        db_default=False,
        help_text=_(
            "Customers may ask you for a book of the catalogue that no shop near their drive has in stock: you "
            "accept it with an expected date (or refuse it), order it from your distributor, and tell them when "
            "it is in."
        ),
    )
    order_days = models.PositiveSmallIntegerField(
        _("usual time to get an ordered book (days)"),
        default=7,
        db_default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Customers read “usually within N days” before they ask."),
    )
    # Holiday mode: the shop is away. Its listings leave the search, new reservations are
    # refused; orders already placed stay (the shop handles them when it is back), within
    # their deadlines: a placed order still unanswered after ORDER_ANSWER_LATEST_DAYS is
    # closed (orders/answer_deadline.py), a ready one waits its holding period.
    holiday_starts_on = models.DateField(_("away from"), null=True, blank=True)
    holiday_ends_on = models.DateField(
        _("away until (included)"),
        null=True,
        blank=True,
        help_text=_("During these days your books are hidden and nobody can reserve them."),
    )
    holiday_message = models.CharField(_("message to customers while away"), max_length=300, blank=True)

    # Listing is free; a shop's free period may end and a paid plan start (no payment
    # integration: the chain invoices outside the marketplace).
    free_until = models.DateField(
        _("free listing until (included)"),
        null=True,
        blank=True,
        help_text=_("Empty: free with no end date."),
    )
    plan = models.ForeignKey(
        "ListingPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shops",
        verbose_name=_("paid plan"),
    )
    plan_starts_on = models.DateField(_("paid plan from"), null=True, blank=True)

    created_at = models.DateTimeField(_("applied on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["trade_name"]
        permissions = [
            ("view_all_shops", _("Can see every shop of the network")),
            ("review_shop", _("Can approve, reject, suspend and reinstate shops")),
        ]
        indexes = [models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(
                # Both dates or none (a comparison with NULL would let a lone date pass).
                condition=Q(holiday_starts_on__isnull=True, holiday_ends_on__isnull=True)
                | Q(
                    holiday_starts_on__isnull=False,
                    holiday_ends_on__isnull=False,
                    holiday_starts_on__lte=F("holiday_ends_on"),
                ),
                name="shop_holiday_is_a_period",
                violation_error_message=_("The holiday must end on or after the day it starts."),
            ),
            models.CheckConstraint(
                condition=Q(plan__isnull=True, plan_starts_on__isnull=True)
                | Q(plan__isnull=False, plan_starts_on__isnull=False),
                name="shop_plan_has_a_start",
                violation_error_message=_(
                    "A paid plan needs the day it starts, and a start day needs a plan."
                ),
            ),
            models.CheckConstraint(
                condition=Q(free_until__isnull=True)
                | Q(plan_starts_on__isnull=True)
                | Q(plan_starts_on__gt=F("free_until")),
                name="shop_plan_after_free_period",
                violation_error_message=_("The paid plan starts after the free period ends."),
            ),
        ]
        triggers = [
            stamp_status_changed_at(),
            *audit_triggers(
                kind="shop", fields=("status", "plan_id", "free_until"), shop_column="id", on_insert=True
            ),
        ]

    def __str__(self):
        return f"{self.trade_name} ({self.town})"

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Shop, f"{self.trade_name} {self.town}")
        super().save(*args, **kwargs)
        # Searches cache which shops are near each drive (shops/selectors.py): any
        # change of a shop (status, place, name, holiday) must be seen at once. Forgotten
        # now for this transaction, and again after commit, in case another request
        # cached the old state in between.
        shops_changed()
        transaction.on_commit(shops_changed)

    def get_absolute_url(self):
        return reverse("shop", args=[self.slug])

    @property
    def preparation_time(self) -> timedelta:
        """Opening time the shop needs to set a reservation aside (shops/hours.py)."""
        return timedelta(hours=self.preparation_hours)

    def is_on_holiday(self, day: date) -> bool:
        return bool(self.holiday_starts_on and self.holiday_starts_on <= day <= self.holiday_ends_on)

    def plan_on(self, day: date):
        """The paid plan in force on `day`, or None while listing is free."""
        if self.plan_id and self.plan_starts_on <= day:
            return self.plan
        return None


class ShopApplication(Shop):
    """Shops as the moderation queue sees them: applications waiting for a decision."""

    class Meta:
        proxy = True
        verbose_name = _("shop application")
        verbose_name_plural = _("shop applications")


class ListingPlan(models.Model):
    """What a shop pays to list its stock once its free period is over."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    monthly_fee = models.DecimalField(
        _("monthly fee (excl. VAT)"), max_digits=7, decimal_places=2, validators=[MinValueValidator(0)]
    )
    description = models.TextField(_("what it includes"), blank=True)
    is_active = models.BooleanField(_("offered to new shops"), default=True)

    class Meta:
        verbose_name = _("listing plan")
        verbose_name_plural = _("listing plans")
        ordering = ["monthly_fee", "name"]

    def __str__(self):
        return self.name


class Weekday(models.IntegerChoices):
    # datetime.date.weekday() numbering.
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningPeriod(models.Model):
    """One range of a shop's weekly opening hours; a day has several around a lunch break.

    Times are wall-clock times in Europe/Paris. A range ends the day it starts: bookshops
    do not open across midnight (`closes` 00:00 is not allowed; 23:59 is the latest).
    """

    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="opening_periods", verbose_name=_("shop")
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens at"))
    closes = models.TimeField(_("closes at"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")),
                name="opening_period_closes_after_opening",
                violation_error_message=_("A shop closes after it opens (ranges cannot cross midnight)."),
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Closure(models.Model):
    """Days a shop is exceptionally closed (public holiday, stocktaking): reservations are
    still taken, but nothing is ready and no deadline falls on these days."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="closures", verbose_name=_("shop"))
    starts_on = models.DateField(_("closed from"))
    ends_on = models.DateField(_("closed until (included)"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("exceptional closure")
        verbose_name_plural = _("exceptional closures")
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="closure_is_a_period",
                violation_error_message=_("A closure must end on or after the day it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.starts_on}–{self.ends_on}"


def unique_slug(model, text: str, max_length: int = 150) -> str:
    """A slug for `text` not yet taken in `model` ("librairie-du-port-lorient", then "-2")."""
    base = slugify(text)[:max_length] or "x"
    slug, number = base, 1
    while model.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


class Membership(models.Model):
    """Who works for a shop, and as what."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("shop")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "shop"], name="membership_unique_user_shop")]

    def __str__(self):
        return f"{self.user} — {self.shop.trade_name} ({self.get_role_display()})"


class DriveAssignment(models.Model):
    """A member of the chain's staff working for one drive: they review the shops attached
    to it and those shops' listings (shops.selectors.shops_for_user)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="drive_assignments",
        verbose_name=_("staff member"),
    )
    drive = models.ForeignKey(
        Drive, on_delete=models.CASCADE, related_name="staff_assignments", verbose_name=_("drive")
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("drive staff member")
        verbose_name_plural = _("drive staff")
        constraints = [models.UniqueConstraint(fields=["user", "drive"], name="drive_assignment_unique")]

    def __str__(self):
        return f"{self.user} — {self.drive}"


class ShopStatusChange(StatusChange):
    """The history of a shop's status: the application, then every decision on it."""

    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("shop")
    )
    from_status = models.CharField(_("from"), max_length=16, choices=Shop.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Shop.Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when the applicant made the change from the public form."),
    )

    class Meta(StatusChange.Meta):
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self):
        return f"{self.shop.trade_name}: {self.from_status or '∅'} → {self.to_status}"


class ShopApiToken(models.Model):
    """A key that till software uses to update one shop's stock through the API.

    Only a hash is stored: the key is shown once, when it is created. `prefix` (the
    first characters, also shown in the admin) finds the row without scanning.
    """

    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("shop")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Where it is used, e.g. “Till software”."))
    prefix = models.CharField(_("key starts with"), max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
