from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "firstline.pipeline"
    label = "pipeline"
