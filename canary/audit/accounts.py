"""Console accounts: a user in exactly one role, with a password that must be replaced."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import Group, User
from django.db import transaction

from .models import OneTimePassword
from .roles import ROLES
from .services import record


def set_role(user: User, role: str) -> None:
    """Put ``user`` in ``role``'s group and out of the other roles' groups."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(name=role))
    user.groups.add(Group.objects.get_or_create(name=role)[0])


@transaction.atomic
def create_user(username: str, role: str, *, email: str = "", actor: str | None = None) -> tuple[User, str]:
    """Create a console user in ``role`` and return it with its one-time password."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    password = secrets.token_urlsafe(12)
    user = User.objects.create_user(username, email=email, password=password)
    set_role(user, role)
    OneTimePassword.objects.create(user=user, password_hash=user.password)
    record("user.create", actor=actor, obj=user, username=username, role=role)
    return user, password


def must_change_password(user: User) -> bool:
    """True while ``user`` still logs in with the one-time password ``create_user`` printed."""
    pending = OneTimePassword.objects.filter(user_id=user.pk).first()
    if pending is None:
        return False
    if pending.password_hash != user.password:
        pending.delete()  # changed since: the one-time password is spent
        return False
    return True
