"""Form widgets that stay fast with thousands of choices."""

from django import forms
from django.utils.html import format_html, format_html_join


class LongSelect(forms.Select):
    """A <select> rendered in one pass of Python rather than one template per option.

    Django renders every option through a template, about 0.4 ms each: a VP's filter of 2,000
    people took most of a second. The markup is the same as forms.Select's."""

    def render(self, name, value, attrs=None, renderer=None):
        # Not get_context(): it walks the choices (a query for model choices) a second time.
        chosen = set(self.format_value(value))
        attributes = forms.utils.flatatt(self.build_attrs(self.attrs, attrs))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option_value, " selected" if str(option_value) in chosen else "", label)
                for option_value, label in self._plain_choices()
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, attributes, options)

    def _plain_choices(self):
        for option_value, label in self.choices:
            yield ("" if option_value is None else getattr(option_value, "value", option_value)), label
