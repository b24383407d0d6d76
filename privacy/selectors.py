"""The download as a page: the same data as the JSON file, with headings and labels."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from privacy.register import REGISTER

# The labels of the download's columns (the JSON file keeps the keys).
LABELS = {
    "email": _("email address"),
    "first_name": _("first name"),
    "last_name": _("last name"),
    "preferred_language": _("language"),
    "date_joined": _("signed up"),
    "last_login": _("last log-in"),
    "reference": _("reference"),
    "shop": _("shop"),
    "status": _("status"),
    "placed_at": _("placed"),
    "closed_at": _("closed"),
    "customer_name": _("name"),
    "customer_email": _("email address"),
    "customer_phone": _("phone"),
    "refusal_reason": _("reason for refusal"),
    "lines": _("items"),
    "created_at": _("date"),
    "language": _("language"),
    "sent_at": _("sent"),
    "to": _("to"),
    "subject": _("subject"),
    "body_text": _("text"),
    "product": _("product"),
    "ean": _("EAN"),
    "drive": _("drive"),
    "listing": _("listing"),
    "reason": _("reason"),
    "message": _("message"),
    "reporter_email": _("email address"),
    "action_time": _("date"),
    "object_repr": _("account"),
    "change_message": _("change"),
    "events": _("history"),
    "note": _("note"),
    "unavailable_reason": _("why unavailable"),
    "body_html": _("text"),
    "last_error": _("error"),
}
# In the file only: technical details a page would only clutter (the HTML of an email is
# its text again; fingerprints are hashes).
FILE_ONLY = {"body_html", "context", "client_hash", "fingerprint", "reporter_fingerprint", "last_error"}


@dataclass(frozen=True)
class Section:
    title: str
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[list[tuple[str, object]]]  # each row: its (key, value) cells, in the columns' order


def export_sections(data: dict[str, list[dict]]) -> list[Section]:
    """The kinds of data that hold something, in the register's order."""
    sections = []
    for entry in REGISTER:
        rows = data.get(entry.key) or []
        if rows:
            columns = [(key, LABELS.get(key, key)) for key in rows[0] if key not in FILE_ONLY]
            cells = [[(key, row[key]) for key, _label in columns] for row in rows]
            sections.append(Section(title=entry.what, columns=columns, rows=cells))
    return sections
