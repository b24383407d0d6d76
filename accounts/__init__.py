"""People's accounts, one floor above the ground: customers' sign-up (confirmed by an
emailed link), log-in and log-out, the forgotten-password flow for everyone, and the
clean-up of sign-ups never confirmed. The User model itself stays on the ground
(marketplace.User, AUTH_USER_MODEL): every app refers to it."""
