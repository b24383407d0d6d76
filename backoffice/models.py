"""What the dashboard would otherwise count at each view: kept current by PostgreSQL.

ListingCount holds, for each shop and listing status, how many listings the shop has in
it now. Statement-level triggers on catalog_listing (backoffice/migrations/0001) apply
each statement's changes to it, whatever writes the listings (services, stock imports
with COPY, the admin, bulk updates, a cascade when a shop is deleted, psql), so the
network's figures read 15,000 rows instead of counting 5,000,000 listings.
"""

from django.db import models


class ListingCount(models.Model):
    """How many listings `shop` has in `status`, now. A row per (shop, status) that has
    at least one: the triggers delete a row when its count falls to zero (so a deleted
    shop, whose listings go first, leaves none). Written by the triggers only."""

    pk = models.CompositePrimaryKey("shop", "status")
    # DO_NOTHING: the shop's listings are deleted before it (Listing.shop cascades), and
    # their trigger takes the shop's rows out; deleting them here too could run first.
    shop = models.ForeignKey("shops.Shop", on_delete=models.DO_NOTHING, related_name="+", db_index=False)
    status = models.CharField(max_length=16)  # catalog.Listing.Status
    listings = models.IntegerField()

    class Meta:
        # For developers only: not translated.
        verbose_name = "listing count"
        verbose_name_plural = "listing counts"

    def __str__(self) -> str:
        return f"{self.shop_id} {self.status}: {self.listings}"
