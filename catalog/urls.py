from django.urls import path

from catalog import views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("books/<str:ean>/", views.book_detail, name="book"),
    path("books/<str:ean>/alert/", views.alert_new, name="alert_new"),
    path("alerts/<str:token>/confirm/", views.alert_confirm_view, name="alert_confirm"),
    path("alerts/<str:token>/unsubscribe/", views.alert_unsubscribe_view, name="alert_unsubscribe"),
    path("bookshops/<slug:slug>/", views.shop_detail, name="shop"),
    path("listings/<int:listing_id>/report/", views.listing_report, name="listing_report"),
    path("listings/<int:listing_id>/report/thanks/", views.listing_report_done, name="listing_report_done"),
]
