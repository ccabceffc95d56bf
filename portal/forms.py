"""The endpoint form: the same fields as the API's create/update, event types chosen from the session's
catalog. Shape only; the services validate the URL (SSRF policy) and the limits."""

from __future__ import annotations

from django import forms

from eventhub.errors import HubError
from eventhub.models import EventType

FIELD_NAMES = ("url", "description", "event_types")


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=2048,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks"}),
    )
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    event_types = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, event_types: list[EventType], scoped: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.scoped = scoped
        self.fields["event_types"].choices = [(t.name, t.name) for t in event_types]

    def clean_event_types(self) -> list[str]:
        chosen = self.cleaned_data["event_types"]
        if self.scoped and not chosen:
            raise forms.ValidationError("Choose at least one event type.")
        return chosen

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in FIELD_NAMES}

    def add_hub_error(self, exc: HubError) -> None:
        """A service's domain error, shown on its field (or on the form)."""
        placed = False
        for name, errors in exc.errors.items():
            if name in self.fields:
                for error in errors:
                    self.add_error(name, error)
                placed = True
        if not placed:
            self.add_error(None, exc.message)
