"""The catalogue's admin screens, one module per screen. Importing the package (Django's
admin autodiscovery does) registers them all."""

from catalog.admin import books, imports, kinds, listings, moderation, reference  # noqa: F401
