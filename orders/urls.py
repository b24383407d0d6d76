from django.urls import path

from orders import views

urlpatterns = [
    path("orders/<str:token>/", views.order_detail, name="order"),
    path("reservation/done/<str:token>/", views.checkout_done, name="checkout_done"),
]
