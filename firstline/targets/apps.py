from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "firstline.targets"
    label = "targets"
