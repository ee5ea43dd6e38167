from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "firstline.demo"
    label = "demo"
