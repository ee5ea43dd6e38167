from django import forms

from firstline.core.forms import AmountInput
from firstline.pipeline.models import Account, Opportunity, SalesStage


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = [
            "name",
            "industry",
            "segment",
            "city",
            "country",
            "latitude",
            "longitude",
            "market_potential",
        ]
        widgets = {"market_potential": AmountInput}


class OpportunityForm(forms.ModelForm):
    class Meta:
        model = Opportunity
        fields = ["name", "stage", "amount", "close_date", "next_step", "competitor", "loss_reason"]
        widgets = {
            "amount": AmountInput,
            "close_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = SalesStage.objects.all()
        self.fields["loss_reason"].help_text = "Needed when the stage is a lost one; cleared otherwise."
