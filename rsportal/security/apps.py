from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "rsportal.security"
    label = "security"
    verbose_name = "Sikkerhet"
