from django.urls import path

from orders.api import views

urlpatterns = [
    # Customers: anonymous, the order's token is the key.
    path("reservations/", views.ReservationCreate.as_view(), name="api-reservations"),
    path("orders/<str:token>/", views.CustomerOrderDetail.as_view(), name="api-order"),
    path("orders/<str:token>/cancel/", views.CustomerOrderCancel.as_view(), name="api-order-cancel"),
    # Shops: their API key, like the stock API.
    path("shop/orders/", views.ShopOrderList.as_view(), name="api-shop-orders"),
    path("shop/orders/<str:reference>/", views.ShopOrderDetail.as_view(), name="api-shop-order"),
    path(
        "shop/orders/<str:reference>/accept/", views.ShopOrderAccept.as_view(), name="api-shop-order-accept"
    ),
    path(
        "shop/orders/<str:reference>/refuse/", views.ShopOrderRefuse.as_view(), name="api-shop-order-refuse"
    ),
    path("shop/orders/<str:reference>/ready/", views.ShopOrderReady.as_view(), name="api-shop-order-ready"),
    path(
        "shop/orders/<str:reference>/collect/",
        views.ShopOrderCollect.as_view(),
        name="api-shop-order-collect",
    ),
    path(
        "shop/orders/<str:reference>/lines/<int:line_id>/unavailable/",
        views.ShopOrderLineUnavailable.as_view(),
        name="api-shop-order-line-unavailable",
    ),
]
