from django import forms

from firstline.io.fields import FIELDS, KINDS, PRESETS
from firstline.io.mapping import REFERENCES, Mapping
from firstline.io.reading import MAX_BYTES
from firstline.io.values import DATE_FORMATS

KIND_LABELS = {
    "people": "People and the org tree",
    "accounts": "Accounts",
    "products": "Products",
    "opportunities": "Opportunities",
    "targets": "Targets",
}


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(kind, KIND_LABELS[kind]) for kind in KINDS], label="What the file holds"
    )
    file = forms.FileField(label="CSV or XLSX file", help_text=f"Up to {MAX_BYTES // 2**20} MiB.")
    preset = forms.ChoiceField(
        choices=[("", "Find columns automatically"), *((name, name.title()) for name in PRESETS)],
        required=False,
        label="Exported from",
    )
    skip_bad_rows = forms.BooleanField(
        required=False,
        label="Import the good rows even if some are rejected",
        help_text="Off: all or nothing.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // 2**20} MiB; the limit is {MAX_BYTES // 2**20} MiB. Split it."
            )
        return upload


class MappingForm(forms.Form):
    """One choice per field (which column fills it), plus how to read dates and amounts."""

    def __init__(self, *args, kind: str, headers: list[str], mapping: Mapping, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        choices = [("", "— not imported —"), *((h, h) for h in headers if h)]
        for spec in FIELDS[kind]:
            label = spec.name.replace("_", " ").capitalize() + (" (required)" if spec.required else "")
            self.fields[f"column_{spec.name}"] = forms.ChoiceField(
                choices=choices, required=False, label=label, initial=mapping.columns.get(spec.name, "")
            )
        self.fields["date_format"] = forms.ChoiceField(
            choices=[("", "Find out from the values"), *((k, v) for k, v in DATE_FORMATS.items())],
            required=False,
            initial=mapping.date_format or "",
        )
        self.fields["currency"] = forms.CharField(
            max_length=3,
            required=False,
            initial=mapping.currency or "",
            help_text="For amounts that name none.",
        )
        references = [r for r in REFERENCES if r in {spec.name for spec in FIELDS[kind]}]
        if references:
            self.fields["create_missing"] = forms.MultipleChoiceField(
                choices=[(r, f"Create a missing {r}") for r in references],
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=mapping.create_missing,
                label="References to nothing",
            )

    def clean(self):
        data = super().clean()
        used = [value for name, value in data.items() if name.startswith("column_") and value]
        duplicates = {value for value in used if used.count(value) > 1}
        if duplicates:
            raise forms.ValidationError(f"Each column can fill one field: {', '.join(sorted(duplicates))}.")
        return data

    def mapping(self, previous: Mapping) -> Mapping:
        data = self.cleaned_data
        columns = {
            spec.name: data[f"column_{spec.name}"]
            for spec in FIELDS[self.kind]
            if data[f"column_{spec.name}"]
        }
        return Mapping(
            kind=self.kind,
            columns=columns,
            values=previous.values,
            date_format=data["date_format"] or None,
            currency=(data["currency"] or "").upper() or None,
            defaults=previous.defaults,
            create_missing=list(data.get("create_missing", [])),
        )
