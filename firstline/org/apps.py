from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "firstline.org"
    label = "org"

    def ready(self) -> None:
        from firstline.org import signals  # noqa: F401  (connects the receivers)
