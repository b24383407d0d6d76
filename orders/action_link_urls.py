"""Signed links in the shops' emails: act on an order without logging in."""

from django.urls import path

from orders.action_links import action_link_view

urlpatterns = [
    path(
        "shop-links/orders/<int:order_id>/<slug:action>/<str:signed>/", action_link_view, name="action_link"
    ),
]
