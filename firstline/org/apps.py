from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "firstline.org"
    label = "org"
