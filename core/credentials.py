"""Credentials die with the password they were issued under.

Sessions already do: Django keeps a hash of the password hash in each session
(``get_session_auth_hash``) and logs out any session whose hash no longer
matches, so a password change ends the user's other sessions wherever it is
made (the password-change view keeps the changer's own session with
``update_session_auth_hash``).

API tokens have no such link, so this module gives them one, in one place: a
``pre_save`` receiver on the user model compares the password hash about to be
saved with the one stored, and a ``post_save`` receiver deletes the user's
tokens when they differ. That covers every path that saves a user:
``set_password`` then ``save`` (the user's own change, the admin's reset
form, ``changepassword``), and a hash assigned directly. We compare the stored
hash rather than hook ``set_password`` because a hash can change without it;
a bulk ``QuerySet.update(password=...)`` bypasses ``save`` (and Django's own
password-change hooks) and is not used anywhere. The token endpoint then
issues a new token, since the old one is gone.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from rest_framework.authtoken.models import Token

_CHANGED = "_password_changed_since_load"


def _note_password_change(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        setattr(instance, _CHANGED, False)
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    setattr(instance, _CHANGED, stored is not None and stored != instance.password)


def _revoke_tokens(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    if not created and getattr(instance, _CHANGED, False):
        Token.objects.filter(user_id=instance.pk).delete()
        setattr(instance, _CHANGED, False)


def connect() -> None:
    """Called from CoreConfig.ready()."""
    user_model = get_user_model()
    pre_save.connect(_note_password_change, sender=user_model, dispatch_uid="core.credentials.note")
    post_save.connect(_revoke_tokens, sender=user_model, dispatch_uid="core.credentials.revoke")
