from django.apps import AppConfig


class TalentConfig(AppConfig):
    name = "firstline.talent"
    label = "talent"
