import re

import pytest
from django import forms

from firstline.core.widgets import LongSelect
from firstline.org.models import Person, Role
from firstline.pipeline.models import Segment

OPTION = re.compile(r'<option value="([^"]*)"( selected)?>([^<]*)</option>')


def options(html: str) -> list[tuple[str, bool, str]]:
    return [(value, bool(selected), label) for value, selected, label in OPTION.findall(html)]


@pytest.mark.django_db
def test_model_choices_render_as_djangos_select_does_escaped_and_with_the_choice_selected():
    names = ("O'Brien & <Co>", "Ann", "Zoë")
    people = [
        Person.objects.create(name=name, email=f"{i}@example.com", role=Role.SELLER)
        for i, name in enumerate(names)
    ]
    chosen = people[0].pk

    def rendered(widget):
        field = forms.ModelChoiceField(Person.objects.order_by("name"), widget=widget, empty_label="Anyone")
        return field.widget.render("owner", chosen)

    ours, django = rendered(LongSelect), rendered(forms.Select)
    assert options(ours) == options(django)
    assert options(ours)[0] == ("", False, "Anyone")
    assert (str(chosen), True, "O&#x27;Brien &amp; &lt;Co&gt;") in options(ours)
    assert len(options(ours)) == 4


def test_plain_choices_render_as_djangos_select_does():
    field = forms.ChoiceField(choices=[("", "Any"), *Segment.choices], widget=LongSelect)
    assert options(field.widget.render("segment", Segment.choices[1][0])) == options(
        forms.Select(choices=field.choices).render("segment", Segment.choices[1][0])
    )
