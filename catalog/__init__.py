"""The catalogue: books (one row per edition, by EAN-13) and each shop's listings of them."""
