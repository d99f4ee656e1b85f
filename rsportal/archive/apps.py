from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "rsportal.archive"
    verbose_name = "Arkiv"
