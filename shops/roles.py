"""The groups that give people their rights in the admin.

Row-level access (which shops) is decided by `shops.selectors.shops_for_user`; these
groups decide what kind of things a person may do at all. They are (re)created after
every `migrate`, so a fresh database is usable at once.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

BOOKSELLERS = "Booksellers"
CHAIN_STAFF = "Chain staff"

GROUP_PERMISSIONS = {
    # A bookseller edits their own shop's public details and sees its team.
    BOOKSELLERS: [
        ("shops", "view_shop"),
        ("shops", "change_shop"),
        ("shops", "view_membership"),
        ("shops", "view_shopstatuschange"),
        ("shops", "view_shopapitoken"),
        ("shops", "add_shopapitoken"),
        ("catalog", "view_listing"),
        ("catalog", "add_listing"),
        ("catalog", "change_listing"),
        ("catalog", "view_stockimport"),
        ("catalog", "add_stockimport"),
        # Their shop's orders: "change" is what the order page's buttons need (every
        # move goes through a service; nothing is edited as a form).
        ("orders", "view_order"),
        ("orders", "change_order"),
    ],
    # The chain's staff run the network: shops, drives, places and the outbox.
    CHAIN_STAFF: [
        ("shops", "view_all_shops"),
        ("shops", "review_shop"),
        ("shops", "view_shop"),
        ("shops", "change_shop"),
        ("shops", "view_membership"),
        ("shops", "add_membership"),
        ("shops", "change_membership"),
        ("shops", "delete_membership"),
        ("shops", "view_shopstatuschange"),
        ("shops", "view_drive"),
        ("shops", "add_drive"),
        ("shops", "change_drive"),
        ("shops", "view_locality"),
        ("shops", "change_locality"),
        ("marketplace", "view_outgoingemail"),
        ("catalog", "view_book"),
        ("catalog", "change_book"),
        ("catalog", "view_listing"),
        ("catalog", "change_listing"),
        ("catalog", "view_stockimport"),
        # They watch every shop's orders; accepting or refusing one is the shop's call.
        ("orders", "view_order"),
    ],
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
