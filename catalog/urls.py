from django.urls import path

from catalog import views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("books/<str:ean>/", views.book_detail, name="book"),
    path("bookshops/<slug:slug>/", views.shop_detail, name="shop"),
    path("listings/<int:listing_id>/report/", views.listing_report, name="listing_report"),
    path("listings/<int:listing_id>/report/thanks/", views.listing_report_done, name="listing_report_done"),
]
