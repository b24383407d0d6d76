"""Reservations: the cart, one order per shop, stock held until collection."""
