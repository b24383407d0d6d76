from django.urls import path

from catalog.api import views

urlpatterns = [
    path("stock/listings/", views.StockListingList.as_view(), name="api-stock-listings"),
    path("stock/listings/bulk/", views.StockBulkUpdate.as_view(), name="api-stock-bulk"),
]
