"""Reader pages for email alerts: subscribe, confirm, preferences, unsubscribe. No account needed.

The subscribe form answers the same page for any valid address, subscribed
or not, and is throttled per client and per address (``alerts.throttle``).
Confirmation and preferences change things only on POST, so a mail scanner
following links agrees to nothing. Unsubscribing takes one POST, which is
also what a mail client sends for RFC 8058 one-click unsubscribe (no CSRF
token there: the signed link is the authority).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from alerts import selectors, services, throttle
from alerts.forms import PreferencesForm, SubscribeForm
from alerts.models import Subscriber, Subscription
from alerts.tokens import BadToken, SubscribeRequest, confirm_token_read, manage_token_make, manage_token_read
from core.throttle import client_ip

THROTTLED = "Too many requests from here. Try again in an hour."


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "alerts/invalid_link.html", status=404)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {}
        for field in ("organization", "tag", "deal_type"):
            if request.GET.get(field):
                initial.update({"topic": field, field: request.GET[field]})
        return render(request, "alerts/subscribe.html", {"form": SubscribeForm(initial=initial)})
    if not throttle.subscribe_allowed_from(client_ip(request)):
        return render(request, "alerts/subscribe.html", {"form": SubscribeForm(), "error": THROTTLED}, status=429)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "alerts/subscribe.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    # Over the address's limit: the same page as a success, and no mail (a refusal would confirm nothing
    # about the address either, but the page gives no hint that a limit exists for it).
    if throttle.subscribe_allowed_to(email):
        services.subscription_request(
            request=SubscribeRequest(
                email=email,
                frequency=form.cleaned_data["frequency"],
                kind=form.cleaned_data["topic"],
                target_id=form.target_id(),
            )
        )
    return render(request, "alerts/subscribe_sent.html")


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pending = confirm_token_read(token)
    except BadToken:
        return _invalid_link(request)
    if request.method == "GET":
        topic = services.topic_describe(pending.kind, pending.target_id)
        return render(request, "alerts/confirm.html", {"topic": topic, "email": pending.email})
    subscriber = services.subscriber_confirm(token=token)
    return render(request, "alerts/confirmed.html", {"preferences_token": _manage(subscriber)})


def _manage(subscriber: Subscriber) -> str:
    return manage_token_make(subscriber.pk, subscriber.key)


def _subscriber(token: str) -> Subscriber | None:
    try:
        return selectors.subscriber_by_token(*manage_token_read(token))
    except BadToken:
        return None


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber(token)
    if subscriber is None:
        return _invalid_link(request)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        context = {"form": form, "token": token, "email": subscriber.email}
        if form.is_valid():
            services.subscriber_preferences_update(subscriber=subscriber, **form.cleaned_data)
            return render(request, "alerts/preferences.html", {**context, "saved": True})
        return render(request, "alerts/preferences.html", context, status=400)
    subs = list(subscriber.subscriptions.select_related("organization", "tag", "deal_type"))
    initial = {
        "frequency": subscriber.frequency,
        "everything": any(s.kind == Subscription.Kind.ALL for s in subs),
        "organizations": [s.organization for s in subs if s.organization_id],
        "tags": [s.tag for s in subs if s.tag_id],
        "deal_types": [s.deal_type for s in subs if s.deal_type_id],
    }
    form = PreferencesForm(initial=initial)
    return render(request, "alerts/preferences.html", {"form": form, "token": token, "email": subscriber.email})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber_id, key = manage_token_read(token)
    except BadToken:
        return _invalid_link(request)
    if request.method == "GET":
        return render(request, "alerts/unsubscribe.html", {"token": token})
    subscriber = selectors.subscriber_by_token(subscriber_id, key)
    if subscriber is not None:
        services.subscriber_unsubscribe(subscriber_id=subscriber.pk)
    # Already gone (a second click, or a mail client's retry): the same answer.
    return render(request, "alerts/unsubscribed.html")
