from django.urls import include, path

from catalog.api import public_views, views

urlpatterns = [
    path("stock/listings/", views.StockListingList.as_view(), name="api-stock-listings"),
    path("stock/listings/bulk/", views.StockBulkUpdate.as_view(), name="api-stock-bulk"),
    # A stock too big for one request, in pages: begin, put pages, commit (or abandon).
    path("stock/sync-sessions/", views.StockSyncSessionBegin.as_view(), name="api-stock-sync-sessions"),
    path(
        "stock/sync-sessions/<str:session_id>/",
        views.StockSyncSessionDetail.as_view(),
        name="api-stock-sync-session",
    ),
    path(
        "stock/sync-sessions/<str:session_id>/pages/<str:number>/",
        views.StockSyncSessionPage.as_view(),
        name="api-stock-sync-session-page",
    ),
    path(
        "stock/sync-sessions/<str:session_id>/commit/",
        views.StockSyncSessionCommit.as_view(),
        name="api-stock-sync-session-commit",
    ),
    # The public read API (anonymous): drives and shops, search, availability.
    path("", include("shops.api.urls")),
    path("search/", public_views.BookSearch.as_view(), name="api-search"),
    path(
        "books/<str:ean>/availability/", public_views.BookAvailability.as_view(), name="api-book-availability"
    ),
]
