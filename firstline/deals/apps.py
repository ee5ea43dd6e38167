from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "firstline.deals"
    label = "deals"
    verbose_name = "Deal guidance"
