from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"  # no models: the User model is marketplace's
