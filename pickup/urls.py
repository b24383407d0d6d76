"""The counter: shop staff type or scan a pickup code and hand the order over."""

from django.urls import path

from pickup import views

urlpatterns = [
    path("counter/", views.counter, name="counter"),
    path("counter/hand-over/", views.counter_hand_over, name="counter_hand_over"),
    path("pickup/<str:token>/qr.png", views.pickup_qr_png, name="pickup_qr_png"),
]
