"""Form widgets that stay fast with thousands of choices."""

from html import escape

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.safestring import mark_safe


class LongSelect(forms.Select):
    """A <select> rendered in one pass of Python rather than one template per option.

    Django renders every option through a template, about 0.4 ms each, and builds a model instance
    per choice: a VP's filter of 2,000 people took most of a second. Model choices are read as
    (pk, `label_field`) pairs instead. The markup is the same as forms.Select's."""

    def __init__(self, attrs=None, choices=(), *, label_field: str = "name"):
        super().__init__(attrs, choices)
        self.label_field = label_field

    def render(self, name, value, attrs=None, renderer=None):
        # Not get_context(): it walks the choices (a query for model choices) a second time.
        chosen = set(self.format_value(value))
        attributes = forms.utils.flatatt(self.build_attrs(self.attrs, attrs))
        options = "".join(
            f'<option value="{escape(str(option_value))}"'
            f"{' selected' if str(option_value) in chosen else ''}>{escape(str(label))}</option>"
            for option_value, label in self._plain_choices()
        )
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{options}</select>')

    def _plain_choices(self):
        if isinstance(self.choices, ModelChoiceIterator):
            field = self.choices.field
            if field.empty_label is not None:
                yield "", field.empty_label
            yield from field.queryset.values_list("pk", self.label_field)
            return
        for option_value, label in self.choices:
            yield ("" if option_value is None else getattr(option_value, "value", option_value)), label
