"""The back office's roof: the admin site (guarded log-in, checked "view on site", menu
entries with counts), the dashboard and the admin screens that span apps (accounts,
emails, audit trail). Each app keeps the admin screens of its own models."""
