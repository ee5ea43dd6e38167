from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "firstline.kpis"
    label = "kpis"

    def ready(self) -> None:
        from firstline.kpis import signals  # noqa: F401  (connects the receivers)
