from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "rsportal.api"
    label = "api"
    verbose_name = "API"
