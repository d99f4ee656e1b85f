from django.apps import AppConfig


class CalendarConfig(AppConfig):
    name = "rsportal.calendar"
    label = "rscalendar"
    verbose_name = "Kalender"
