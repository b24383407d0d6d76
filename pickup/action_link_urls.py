"""Signed links in the shops' emails: act on an order without logging in."""

urlpatterns = []
