from django import forms

from firstline.coaching.models import (
    SCALE,
    SCALE_LABELS,
    Competency,
    GoalStatus,
    OneOnOneSchedule,
    SessionKind,
)
from firstline.pipeline.models import Opportunity

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SCORE_CHOICES = [(score, f"{score} · {SCALE_LABELS[score]}") for score in SCALE]


class SessionForm(forms.Form):
    """Record a coaching session: what kind, when, the focus, the notes and one action item."""

    kind = forms.ChoiceField(choices=SessionKind.choices)
    held_on = forms.DateField(label="Date", widget=DATE)
    focus = forms.ModelMultipleChoiceField(
        queryset=Competency.objects.none(),
        required=False,
        label="Focus competencies",
        widget=forms.CheckboxSelectMultiple,
    )
    opportunities = forms.ModelMultipleChoiceField(
        queryset=Opportunity.objects.none(), required=False, label="Linked opportunities"
    )
    shared_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="The seller and the managers above them can read this.",
    )
    private_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Only you and the seller can read this: not the executive, not exports, not search.",
    )
    action_description = forms.CharField(max_length=300, required=False, label="Action item")
    action_owner = forms.ChoiceField(
        choices=[("seller", "The seller"), ("coach", "Me")], required=False, label="Action item owner"
    )
    action_due_on = forms.DateField(required=False, label="Action item due", widget=DATE)

    def __init__(self, *args, user, seller, framework, **kwargs):
        super().__init__(*args, **kwargs)
        competencies = framework.competencies.all() if framework else Competency.objects.none()
        self.fields["focus"].queryset = competencies
        self.fields["opportunities"].queryset = (
            Opportunity.objects.visible_to(user).open().filter(owner=seller).order_by("close_date")
        )

    def clean(self):
        data = super().clean()
        if data.get("action_description") and not data.get("action_due_on"):
            self.add_error("action_due_on", "Give the action item a due date.")
        return data


class AssessmentForm(forms.Form):
    """A score (with evidence) on every competency of the framework."""

    def __init__(self, *args, competencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.competencies = list(competencies)
        for competency in self.competencies:
            self.fields[f"score_{competency.pk}"] = forms.TypedChoiceField(
                label=competency.name,
                choices=SCORE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                help_text=competency.description,
            )
            self.fields[f"evidence_{competency.pk}"] = forms.CharField(
                label=f"Evidence for {competency.name}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def pairs(self):
        """(score field, evidence field) per competency, for the template."""
        return [(self[f"score_{c.pk}"], self[f"evidence_{c.pk}"]) for c in self.competencies]


class PlanForm(forms.Form):
    """A new development plan with its first goal, action and learning resource."""

    title = forms.CharField(max_length=200)
    starts_on = forms.DateField(widget=DATE)
    ends_on = forms.DateField(widget=DATE)
    goal = forms.CharField(max_length=300, label="First goal")
    competency = forms.ModelChoiceField(queryset=Competency.objects.all(), required=False)
    goal_due_on = forms.DateField(label="Goal due", widget=DATE)
    action = forms.CharField(max_length=300, required=False, label="First action")
    action_due_on = forms.DateField(required=False, label="Action due", widget=DATE)
    resource_title = forms.CharField(max_length=200, required=False, label="Learning resource")
    resource_url = forms.URLField(required=False, label="Resource link")

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "The plan cannot end before it starts.")
        check_first_steps(self, data)
        return data


def check_first_steps(form, data) -> None:
    """A goal's first action needs a due date, and its resource both a title and a link."""
    if data.get("action") and not data.get("action_due_on"):
        form.add_error("action_due_on", "Give the action a due date.")
    if bool(data.get("resource_title")) != bool(data.get("resource_url")):
        form.add_error("resource_url", "A learning resource needs both a title and a link.")


class GoalForm(forms.Form):
    """Another goal for a plan, with its first action and learning resource."""

    goal = forms.CharField(max_length=300)
    competency = forms.ModelChoiceField(queryset=Competency.objects.all(), required=False)
    goal_due_on = forms.DateField(label="Goal due", widget=DATE)
    action = forms.CharField(max_length=300, required=False, label="First action")
    action_due_on = forms.DateField(required=False, label="Action due", widget=DATE)
    resource_title = forms.CharField(max_length=200, required=False, label="Learning resource")
    resource_url = forms.URLField(required=False, label="Resource link")

    def clean(self):
        data = super().clean()
        check_first_steps(self, data)
        return data


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(choices=GoalStatus.choices)


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = OneOnOneSchedule
        fields = ["every_days", "next_on", "active"]
        labels = {"every_days": "Every", "next_on": "Next 1:1"}
        widgets = {"next_on": DATE}
