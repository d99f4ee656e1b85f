from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "rsportal.signin"
    label = "signin"
    verbose_name = "Innlogging"

    def ready(self):
        from . import signals  # noqa: F401
