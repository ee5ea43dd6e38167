from django import forms

from firstline.talent.models import ENPS_QUESTION, PULSE_ITEMS, Candidate, CandidateStage, Position, Pulse

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AGREEMENT = [
    (1, "1 · Strongly disagree"),
    (2, "2 · Disagree"),
    (3, "3 · Neutral"),
    (4, "4 · Agree"),
    (5, "5 · Strongly agree"),
]


class CandidateStageForm(forms.Form):
    stage = forms.ChoiceField(choices=[c for c in CandidateStage.choices if c[0] != CandidateStage.HIRED])


class HireForm(forms.Form):
    starts_on = forms.DateField(label="Start date", widget=DATE)


class PulseAnswerForm(forms.Form):
    enps = forms.TypedChoiceField(
        label=ENPS_QUESTION, choices=[(n, str(n)) for n in range(11)], coerce=int, widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, text in PULSE_ITEMS:
            self.fields[key] = forms.TypedChoiceField(
                label=text, choices=AGREEMENT, coerce=int, widget=forms.RadioSelect
            )


class _LedTeamsForm(forms.ModelForm):
    """A form whose team choices are the teams the user leads (every team, for an admin)."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from firstline.org.models import Team
        from firstline.org.scoping import viewer

        who = viewer(user)
        self.fields["team"].queryset = (
            Team.objects.all() if who.is_admin else Team.objects.filter(who.subtree_q())
        )


class PulseForm(_LedTeamsForm):
    class Meta:
        model = Pulse
        fields = ["title", "team", "opens_on", "closes_on"]
        labels = {"team": "Send to (the team and its sub-teams)"}
        widgets = {"opens_on": DATE, "closes_on": DATE}


class PositionForm(_LedTeamsForm):
    class Meta:
        model = Position
        fields = ["title", "team", "opened_on"]
        widgets = {"opened_on": DATE}


class CandidateForm(forms.ModelForm):
    class Meta:
        model = Candidate
        fields = ["name", "email", "source", "applied_on"]
        widgets = {"applied_on": DATE}
