"""The groups that give people their rights in the admin.

Row-level access (which shops) is decided by `shops.selectors.shops_for_user`; these
groups decide what kind of things a person may do at all. They are (re)created after
every `migrate`, so a fresh database is usable at once.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

BOOKSELLERS = "Booksellers"
# Head office: the whole network (shops.view_all_shops).
CHAIN_STAFF = "Chain staff"
# Staff of one or more drives (shops.DriveAssignment): the shops attached to their drives
# and those shops' listings.
DRIVE_STAFF = "Drive staff"

# The names stored in the database are identifiers, the same in every language; people
# read these (the user admin's group list).
LABELS = {
    BOOKSELLERS: _("Shop teams (their own shop's stock and orders)"),
    CHAIN_STAFF: _("Head office (the whole network)"),
    DRIVE_STAFF: _("Drive staff (the shops of their drives)"),
}


def label(group: Group) -> str:
    """What a group is called for people: a group created by hand keeps its own name."""
    return str(LABELS.get(group.name, group.name))


# What every moderator does, in their drives (drive staff) or everywhere (head office).
_MODERATION = [
    ("shops", "review_shop"),
    ("shops", "view_shop"),
    ("shops", "view_shopapplication"),
    ("shops", "change_shopapplication"),
    ("shops", "view_membership"),
    ("shops", "view_shopstatuschange"),
    ("shops", "view_drive"),
    ("shops", "view_listingplan"),
    ("catalog", "view_book"),
    ("catalog", "view_listing"),
    ("catalog", "moderate_listing"),
    ("catalog", "view_listingtomoderate"),
    ("catalog", "change_listingtomoderate"),
    ("catalog", "view_listingstatuschange"),
    ("catalog", "view_listingreport"),
    ("catalog", "change_listingreport"),
    ("marketplace", "view_moderationreason"),
    ("marketplace", "view_auditentry"),
    # They watch their shops' orders; accepting or refusing one is the shop's call.
    ("orders", "view_order"),
]

GROUP_PERMISSIONS = {
    # A bookseller edits their own shop's public details and sees its team.
    BOOKSELLERS: [
        ("shops", "view_shop"),
        ("shops", "change_shop"),
        ("shops", "view_membership"),
        ("shops", "view_shopstatuschange"),
        ("shops", "view_shopapitoken"),
        ("shops", "add_shopapitoken"),
        ("shops", "view_listingplan"),
        ("catalog", "view_listing"),
        ("catalog", "view_listingstatuschange"),
        ("catalog", "add_listing"),
        ("catalog", "change_listing"),
        ("catalog", "view_stockimport"),
        ("catalog", "add_stockimport"),
        # Their shop's orders: "change" is what the order page's buttons need (every
        # move goes through a service; nothing is edited as a form).
        ("orders", "view_order"),
        ("orders", "change_order"),
    ],
    # Head office runs the network: every shop, the drives and their staff, plans, reasons.
    CHAIN_STAFF: [
        *_MODERATION,
        ("shops", "view_all_shops"),
        ("shops", "change_shop"),
        ("shops", "add_membership"),
        ("shops", "change_membership"),
        ("shops", "delete_membership"),
        ("shops", "add_drive"),
        ("shops", "change_drive"),
        ("shops", "view_driveassignment"),
        ("shops", "add_driveassignment"),
        ("shops", "change_driveassignment"),
        ("shops", "delete_driveassignment"),
        ("shops", "add_listingplan"),
        ("shops", "change_listingplan"),
        # The kinds of shop are data: a new kind needs no code change (issue 18).
        ("shops", "view_shopkind"),
        ("shops", "add_shopkind"),
        ("shops", "change_shopkind"),
        ("catalog", "view_productkind"),
        ("catalog", "add_productkind"),
        ("catalog", "change_productkind"),
        ("catalog", "view_productattribute"),
        ("catalog", "add_productattribute"),
        ("catalog", "change_productattribute"),
        ("shops", "view_locality"),
        ("shops", "change_locality"),
        ("marketplace", "view_outgoingemail"),
        ("marketplace", "view_user"),  # to pick people for teams and drives
        ("marketplace", "add_moderationreason"),
        ("marketplace", "change_moderationreason"),
        ("marketplace", "delete_moderationreason"),
        ("catalog", "change_book"),
        ("catalog", "change_listing"),
        ("catalog", "view_stockimport"),
        # The shared catalogue's reference (catalog/reference.py).
        ("catalog", "view_cataloguefeed"),
        ("catalog", "add_cataloguefeed"),
        ("catalog", "view_bookprice"),
        ("catalog", "add_bookprice"),
        ("catalog", "view_bookinconflict"),
        ("catalog", "change_bookinconflict"),
        ("catalog", "view_cataloguerules"),
        ("catalog", "change_cataloguerules"),
        # Login lockouts (django-axes): see them, and lift one for someone who calls.
        ("axes", "view_accessattempt"),
        ("axes", "delete_accessattempt"),
        # People's requests about their personal data received by post (privacy/admin.py).
        ("privacy", "view_datarequest"),
        ("privacy", "add_datarequest"),
    ],
    DRIVE_STAFF: _MODERATION,
}


def ensure_groups(**kwargs) -> None:
    for name, permissions in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = Q()
        for app_label, codename in permissions:
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.add(*Permission.objects.filter(wanted))


def group(name: str) -> Group:
    try:
        return Group.objects.get(name=name)
    except Group.DoesNotExist:  # deleted by hand since the last migrate
        ensure_groups()
        return Group.objects.get(name=name)
