"""Collection in the shop: pickup codes, opening hours, holding periods."""
