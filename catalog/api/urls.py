from django.urls import include, path

from catalog.api import public_views, views

urlpatterns = [
    path("stock/listings/", views.StockListingList.as_view(), name="api-stock-listings"),
    path("stock/listings/bulk/", views.StockBulkUpdate.as_view(), name="api-stock-bulk"),
    # The public read API (anonymous): drives and shops, search, availability.
    path("", include("shops.api.urls")),
    path("search/", public_views.BookSearch.as_view(), name="api-search"),
    path(
        "books/<str:ean>/availability/", public_views.BookAvailability.as_view(), name="api-book-availability"
    ),
]
