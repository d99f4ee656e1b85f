from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "rsportal.demo"
    label = "demo"
    verbose_name = "Demo"
