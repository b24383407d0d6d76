from django.http import Http404
from django.shortcuts import render

from orders.selectors import checkout_by_token, order_by_token


def order_detail(request, token):
    order = order_by_token(token)
    if order is None:
        raise Http404
    return render(request, "orders/order.html", {"order": order})


def checkout_done(request, token):
    checkout = checkout_by_token(token)
    if checkout is None:
        raise Http404
    return render(request, "orders/checkout_done.html", {"checkout": checkout})
