from django import forms

from firstline.talent.models import ENPS_QUESTION, PULSE_ITEMS, CandidateStage

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
