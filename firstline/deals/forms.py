import re

from django import forms

from firstline.deals.models import ForecastCategory
from firstline.org.models import Person
from firstline.pipeline.models import SalesStage

ARROW = re.compile(r"\s*(?:→|->)\s*")
SCORE_CHOICES = [(0, "0 unknown"), (1, "1 assumed"), (2, "2 confirmed"), (3, "3 confirmed, in our favour")]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def parse_pairs(text: str, first: str, second: str) -> list[dict]:
    """Lines of "left → right" (or "->") into [{first: left, second: right}]; a line without an
    arrow is a left side still waiting for its right side."""
    rows = []
    for line in text.splitlines():
        if line.strip():
            left, right = ARROW.split(line.strip(), maxsplit=1) if ARROW.search(line) else (line, "")
            rows.append({first: left.strip(), second: right.strip()})
    return rows


def format_pairs(rows: list[dict], first: str, second: str) -> str:
    return "\n".join(f"{row.get(first, '')} → {row.get(second, '')}" for row in rows)


class StageMoveForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=SalesStage.objects.all(), empty_label=None)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Why move on with criteria unmet?",
        help_text="Needed only when exit criteria are not met yet.",
    )


class CriteriaForm(forms.Form):
    met = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False, label="Met")

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["met"].choices = [(str(c.pk), c.text) for c in criteria]

    def met_ids(self) -> set[int]:
        return {int(pk) for pk in self.cleaned_data["met"]}


class ScorecardForm(forms.Form):
    def __init__(self, *args, framework, scorecard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.framework = framework
        scores = scorecard.scores if scorecard and scorecard.framework_id == framework.pk else {}
        evidence = scorecard.evidence if scorecard and scorecard.framework_id == framework.pk else {}
        for element in framework.elements:
            key = element["key"]
            self.fields[f"score_{key}"] = forms.TypedChoiceField(
                label=element["label"],
                choices=SCORE_CHOICES,
                coerce=int,
                initial=scores.get(key, 0),
                help_text=element.get("question", ""),
            )
            self.fields[f"evidence_{key}"] = forms.CharField(
                label=f"{element['label']}: what we know",
                required=False,
                initial=evidence.get(key, ""),
                max_length=300,
            )

    def scores(self) -> dict:
        return {key: self.cleaned_data[f"score_{key}"] for key in self.framework.element_keys()}

    def evidence(self) -> dict:
        return {key: self.cleaned_data[f"evidence_{key}"] for key in self.framework.element_keys()}


class CanvasForm(forms.Form):
    needs = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Business needs → our solutions",
        help_text="One per line: the customer's need → how we meet it.",
    )
    facts = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    constraints = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    competitor = forms.CharField(max_length=200, required=False)
    competitor_strengths = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Their strengths"
    )
    competitor_weaknesses = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Their weaknesses"
    )
    priorities = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Our strategic priorities"
    )
    options = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Options → probable consequences",
        help_text="One per line: what we could do → what would probably follow.",
    )
    decision = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Decision taken"
    )

    @classmethod
    def initial_from(cls, canvas) -> dict:
        if canvas is None:
            return {}
        return {
            "needs": format_pairs(canvas.needs, "need", "solution"),
            "options": format_pairs(canvas.options, "option", "consequences"),
            **{
                name: getattr(canvas, name)
                for name in (
                    "facts",
                    "constraints",
                    "competitor",
                    "competitor_strengths",
                    "competitor_weaknesses",
                    "priorities",
                    "decision",
                )
            },
        }

    def canvas_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["needs"] = parse_pairs(data["needs"], "need", "solution")
        data["options"] = parse_pairs(data["options"], "option", "consequences")
        return data


class ReviewForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Notes")
    next_step = forms.CharField(max_length=300, label="Agreed next step")
    next_step_owner = forms.ModelChoiceField(queryset=Person.objects.none(), label="Who", empty_label=None)
    next_step_due = forms.DateField(required=False, widget=DATE, label="By")
    second_step = forms.CharField(max_length=300, required=False, label="Another next step (optional)")
    second_step_owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False, label="Who")
    second_step_due = forms.DateField(required=False, widget=DATE, label="By")

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("next_step_owner", "second_step_owner"):
            self.fields[name].queryset = people

    def clean(self):
        data = super().clean()
        if data.get("second_step") and not data.get("second_step_owner"):
            self.add_error("second_step_owner", "Say who takes this step.")
        return data

    def next_steps(self) -> list[tuple]:
        data = self.cleaned_data
        steps = [(data["next_step"], data["next_step_owner"], data.get("next_step_due"))]
        if data.get("second_step"):
            steps.append((data["second_step"], data["second_step_owner"], data.get("second_step_due")))
        return steps


class CategoryForm(forms.Form):
    category = forms.ChoiceField(choices=ForecastCategory.choices, label="Forecast category")


class ForecastCallForm(forms.Form):
    commit = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)
    best_case = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, label="Best case")
    note = forms.CharField(max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if (
            data.get("commit") is not None
            and data.get("best_case") is not None
            and data["best_case"] < data["commit"]
        ):
            self.add_error("best_case", "Best case cannot be below commit.")
        return data
