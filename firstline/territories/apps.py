from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "firstline.territories"
    label = "territories"
