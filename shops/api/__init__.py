"""The public read API about drives and bookshops (no key, no login)."""
