"""The register (privacy/register.py) is complete: every text field of every model is either
personal data with a period and a way to end, or declared as not about customers, with
why. A model or field added tomorrow fails here until someone decides which."""

import pytest
from django.apps import apps
from django.core.checks import run_checks
from django.db import models
from phonenumber_field.modelfields import PhoneNumberField

from privacy.register import NOT_ABOUT_CUSTOMERS, NOT_PERSONAL_FIELDS, REGISTER

# Fields that can hold a name, an email, a phone or free text, and links to an account.
TEXT_FIELDS = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.GenericIPAddressField,
    PhoneNumberField,
)
# Django's own tables that hold nothing typed by or about a customer.
FRAMEWORK = {"contenttypes.ContentType", "auth.Permission", "auth.Group"}


def _classified(label: str, app_label: str) -> bool:
    return label in NOT_ABOUT_CUSTOMERS or app_label in NOT_ABOUT_CUSTOMERS or label in FRAMEWORK


def test_every_text_field_of_every_model_is_in_the_register_or_declared_not_personal():
    held = {(label, field) for entry in REGISTER for label, fields in entry.holds.items() for field in fields}
    unclassified = []
    for model in apps.get_models():
        label = model._meta.label
        if _classified(label, model._meta.app_label):
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            if (label, field.name) not in held and field.name not in NOT_PERSONAL_FIELDS.get(label, ()):
                unclassified.append(f"{label}.{field.name}")
    assert not unclassified, (
        "Text fields nobody classified: add them to a PersonalData of privacy/register.py (and docs/privacy.md) "
        f"or to NOT_PERSONAL_FIELDS / NOT_ABOUT_CUSTOMERS with why: {unclassified}"
    )


def test_every_link_to_a_customer_account_is_in_the_register():
    """An order, a checkout or a report pointing at the account names the person too."""
    user_model = apps.get_model("marketplace.User")
    held = {(label, field) for entry in REGISTER for label, fields in entry.holds.items() for field in fields}
    # Accounts of staff only (the shops' and the chain's people), never a customer's.
    staff_links = {"shops.Membership.user", "shops.DriveAssignment.user", "pickup.CodeAttempt.user",
                   "catalog.ListingReport.resolved_by", "privacy.DataRequest.handled_by",
                   "marketplace.AuditEntry.actor", "admin.LogEntry.user", "catalog.StockImport.created_by",
                   "catalog.CatalogueFeed.created_by"}  # fmt: skip
    missing = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is user_model
        and (model._meta.label, field.name) not in held
        and f"{model._meta.label}.{field.name}" not in staff_links
        and not _classified(model._meta.label, model._meta.app_label)
    ]  # fmt: skip
    assert not missing


def test_every_field_the_register_names_exists():
    for entry in REGISTER:
        for label, fields in entry.holds.items():
            model = apps.get_model(label)
            for name in fields:
                model._meta.get_field(name)  # raises if renamed away


def test_the_periods_are_settings_and_a_too_short_one_is_refused(settings):
    for entry in REGISTER:
        if entry.period_setting:
            assert getattr(settings, entry.period_setting) >= 1
    settings.RETENTION_CLOSED_ORDERS_DAYS = 7  # shorter than an alert's two weeks to lead to an order
    assert [error.id for error in run_checks() if error.id.startswith("privacy.")] == ["privacy.E002"]


@pytest.mark.parametrize("entry", REGISTER, ids=lambda entry: entry.key)
def test_each_kind_says_what_why_and_how_long(entry):
    assert str(entry.what)
    assert str(entry.why)
    assert str(entry.period_start)
