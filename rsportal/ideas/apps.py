from django.apps import AppConfig


class IdeasConfig(AppConfig):
    name = "rsportal.ideas"
    verbose_name = "Prosjektidéer"
