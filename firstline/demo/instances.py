"""Unsaved model instances built cheaply, for bulk_create at demo scale."""

from django.db.models import Model
from django.db.models.base import ModelState


class InstanceFactory[M: Model]:
    """Builds unsaved instances for bulk_create without Model.__init__, which matches every keyword
    against the fields and, at millions of rows, costs more than the INSERT itself.

    Fields not given take their default, evaluated once: right for constants and settings-based
    defaults, wrong for defaults that must differ per row. No pre_init/post_init signals are sent
    (bulk_create sends no save signals either).
    """

    def __init__(self, model: type[M]) -> None:
        self._model = model
        self._defaults = {field.attname: field.get_default() for field in model._meta.concrete_fields}

    def __call__(self, **values) -> M:
        if not values.keys() <= self._defaults.keys():
            unknown = ", ".join(sorted(values.keys() - self._defaults.keys()))
            raise TypeError(f"{self._model.__name__} has no field {unknown}.")
        instance = self._model.__new__(self._model)
        instance.__dict__.update(self._defaults)
        instance.__dict__.update(values)
        instance._state = ModelState()
        return instance
