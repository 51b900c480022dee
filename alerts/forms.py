from __future__ import annotations

from typing import Any

from django import forms

from alerts import selectors
from alerts.models import Subscriber, Subscription


class SubscribeForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Your email address")
    topic = forms.ChoiceField(
        choices=Subscription.Kind.choices,
        initial=Subscription.Kind.ALL,
        widget=forms.RadioSelect,
        label="Tell me about",
    )
    organization = forms.ModelChoiceField(
        queryset=selectors.organizations_subscribable(), to_field_name="slug", required=False
    )
    tag = forms.ModelChoiceField(queryset=selectors.tags_subscribable(), to_field_name="slug", required=False)
    deal_type = forms.ModelChoiceField(
        queryset=selectors.deal_types_subscribable(), to_field_name="slug", required=False, label="Deal type"
    )
    frequency = forms.ChoiceField(
        choices=Subscriber.Frequency.choices, initial=Subscriber.Frequency.IMMEDIATE, widget=forms.RadioSelect
    )
    consent = forms.BooleanField(
        label="Moatwatch may keep my address to send these alerts, until I unsubscribe.", required=True
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        topic = data.get("topic")
        if topic and topic != Subscription.Kind.ALL and not data.get(topic):
            self.add_error(topic, "Choose one.")
        return data

    def target_id(self) -> int | None:
        topic = self.cleaned_data["topic"]
        return None if topic == Subscription.Kind.ALL else self.cleaned_data[topic].pk


class PreferencesForm(forms.Form):
    frequency = forms.ChoiceField(choices=Subscriber.Frequency.choices, widget=forms.RadioSelect)
    everything = forms.BooleanField(required=False, label="All new analyses and corrections")
    organizations = forms.ModelMultipleChoiceField(
        queryset=selectors.organizations_subscribable(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.ModelMultipleChoiceField(
        queryset=selectors.tags_subscribable(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    deal_types = forms.ModelMultipleChoiceField(
        queryset=selectors.deal_types_subscribable(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Deal types",
    )
