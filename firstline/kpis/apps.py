from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "firstline.kpis"
    label = "kpis"
