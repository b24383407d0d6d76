"""Shops, the drives they join, and the places (postcodes, towns) that locate both."""
