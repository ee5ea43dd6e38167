from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "firstline.relationships"
    label = "relationships"
