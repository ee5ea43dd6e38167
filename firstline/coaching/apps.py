from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "firstline.coaching"
    label = "coaching"
