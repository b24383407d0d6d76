from django.urls import path

from orders import views

urlpatterns = [
    path("reservation/", views.cart_detail, name="cart"),
    path("reservation/add/<int:listing_id>/", views.cart_add, name="cart_add"),
    path("reservation/lines/<int:listing_id>/", views.cart_update, name="cart_update"),
    path("reservation/lines/<int:listing_id>/remove/", views.cart_remove, name="cart_remove"),
    path("reservation/confirm/", views.checkout, name="checkout"),
    path("reservation/done/<str:token>/", views.checkout_done, name="checkout_done"),
    path("reservation/terms/", views.terms, name="terms"),
    path("reservation/order/<str:ean>/<slug:shop_slug>/", views.distributor_order, name="distributor_order"),
    path("orders/", views.my_orders, name="my_orders"),
    path("orders/<str:token>/", views.order_detail, name="order"),
    path("orders/<str:token>/cancel/", views.order_cancel_view, name="order_cancel"),
    path("orders/<str:token>/elsewhere/<int:listing_id>/", views.order_elsewhere, name="order_elsewhere"),
]
