from django.apps import AppConfig


class DevToolsConfig(AppConfig):
    name = "devtools"  # no models: its management commands are what it brings
