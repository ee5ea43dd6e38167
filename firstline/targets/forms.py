from django import forms

from firstline.core.forms import PeriodField
from firstline.core.widgets import LongSelect
from firstline.org.models import Person, Team
from firstline.org.scoping import PersonScope, viewer
from firstline.targets.models import Metric, Target

# The rule of Target.scope for people, applied to the people themselves: whose targets one may set.
TARGET_PEOPLE = PersonScope("", owner_may_change=False)


def changeable_teams(user):
    """Teams whose targets the user may set: the subtrees they lead (everything for admins)."""
    who = viewer(user)
    teams = Team.objects.visible_to(user)
    return teams if who.is_admin else teams.filter(who.subtree_q())


class TargetForm(forms.ModelForm):
    """One target, for a seller or for a team; the scope check happens in the service on save."""

    class Meta:
        model = Target
        fields = ["person", "team", "metric", "period", "amount", "stretch"]
        widgets = {"person": LongSelect}
        help_texts = {"person": "A seller, or leave empty and choose a team."}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(TARGET_PEOPLE.q(user, "change"))
        self.fields["team"].queryset = changeable_teams(user)

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("person")) == bool(cleaned.get("team")):
            raise forms.ValidationError("Choose either a seller or a team for this target.")
        return cleaned


class TargetRaiseForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), help_text="The team and every team below it.")
    period = PeriodField(help_text="The period whose targets to raise, such as 2026Q1.")
    metric = forms.ChoiceField(choices=Metric.choices, initial=Metric.REVENUE)
    percent = forms.DecimalField(
        max_digits=5,
        decimal_places=1,
        min_value=-50,
        max_value=200,
        initial=10,
        help_text="For example 10 for +10 %.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = changeable_teams(user)

    def clean_period(self):
        period = self.cleaned_data["period"]
        if period is not None and period.label.endswith("YTD"):
            raise forms.ValidationError("Targets are set for a year, quarter or month, not year to date.")
        return period


class KudosForm(forms.Form):
    message = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}), label="Kudos")
