"""The counter: shop staff type or scan a pickup code and hand the order over."""

urlpatterns = []
