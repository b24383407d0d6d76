from rest_framework import serializers

from catalog.models import Listing

MAX_ITEMS = 5_000


class StockListingSerializer(serializers.ModelSerializer):
    ean = serializers.CharField(source="book.ean")
    title = serializers.CharField(source="book.title")

    class Meta:
        model = Listing
        fields = ["ean", "title", "condition", "price", "quantity", "status", "updated_at"]


class StockItemSerializer(serializers.Serializer):
    """One line of a bulk update. Values are checked one by one afterwards, so that a
    bad line is refused alone (with its reason) instead of failing the whole batch."""

    ean = serializers.CharField(help_text="EAN-13 / ISBN-13 (ISBN-10 and hyphens accepted).")
    quantity = serializers.JSONField(
        required=False, help_text="Copies in stock (integer ≥ 0). Omit to keep it."
    )
    price = serializers.JSONField(
        required=False, help_text='Selling price in euros incl. tax ("12.50" or 12.5). Omit to keep it.'
    )
    condition = serializers.CharField(
        required=False,
        default="new",
        help_text="new (default), used_like_new, used_very_good, used_good, used_acceptable",
    )
    title = serializers.CharField(required=False, help_text="For a book not in the catalogue yet.")
    authors = serializers.ListField(child=serializers.CharField(), required=False, help_text="Idem.")
    publisher = serializers.CharField(required=False, help_text="Idem.")
    list_price = serializers.JSONField(
        required=False, help_text="Publisher's price, for a book not in the catalogue."
    )


class StockBulkSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=MAX_ITEMS)
    full_sync = serializers.BooleanField(
        default=False, help_text="The items are the whole stock: listings not in them go to quantity 0."
    )


class StockItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in the request, from 0.")
    ean = serializers.CharField()
    result = serializers.ChoiceField(choices=["create", "update", "unchanged", "refuse"])
    message = serializers.CharField(help_text="What changed, or why the item was refused.")


class StockBulkResultSerializer(serializers.Serializer):
    summary = serializers.DictField(child=serializers.IntegerField())
    items = StockItemResultSerializer(many=True)
