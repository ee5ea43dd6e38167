from django.apps import AppConfig


class IoConfig(AppConfig):
    name = "firstline.io"
    label = "io"
    verbose_name = "Import and export"

    def ready(self) -> None:
        from firstline.io import jobs  # noqa: F401  registers the import job with the worker
