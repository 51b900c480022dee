"""Signed links in alert emails (django.core.signing, keyed by SECRET_KEY).

A confirmation link carries the address and the choices themselves, so that
nothing is stored before the owner of the address agrees; it expires after
``ALERTS_CONFIRM_MAX_AGE_SECONDS``. A management link (preferences,
unsubscribe) carries the subscriber's id and key; it does not expire, and a
new key or a deleted row voids it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "alerts.confirm"
MANAGE_SALT = "alerts.manage"


class BadToken(Exception):
    """Tampered, expired or not ours."""


@dataclass(frozen=True)
class SubscribeRequest:
    email: str
    frequency: str
    kind: str
    target_id: int | None


def confirm_token_make(request: SubscribeRequest) -> str:
    data = {"e": request.email, "f": request.frequency, "k": request.kind, "t": request.target_id}
    return signing.dumps(data, salt=CONFIRM_SALT, compress=True)


def confirm_token_read(token: str) -> SubscribeRequest:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.ALERTS_CONFIRM_MAX_AGE_SECONDS)
        return SubscribeRequest(email=data["e"], frequency=data["f"], kind=data["k"], target_id=data["t"])
    except (signing.BadSignature, KeyError, TypeError) as exc:  # SignatureExpired is a BadSignature
        raise BadToken(str(exc)) from None


def manage_token_make(subscriber_id: int, key: str) -> str:
    return signing.dumps({"s": subscriber_id, "k": key}, salt=MANAGE_SALT)


def manage_token_read(token: str) -> tuple[int, str]:
    try:
        data = signing.loads(token, salt=MANAGE_SALT)
        return int(data["s"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadToken(str(exc)) from None
