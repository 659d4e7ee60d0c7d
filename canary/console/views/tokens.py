"""API tokens: a user's own (a security admin sees everyone's); create with the secret shown
once, revoke. Issuing and revoking are audited by the token service itself."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from canary.api.models import ApiToken
from canary.api.tokens import TokenError, issue_token, revoke_token
from canary.audit.decorators import security_required
from canary.audit.roles import VIEWER, is_security_admin
from canary.audit.services import record_request
from canary.console.forms.tokens import TokenForm

PAGE_SIZE = 50


def visible_tokens(request) -> QuerySet[ApiToken]:
    tokens = ApiToken.objects.select_related("user")
    return tokens if is_security_admin(request.user) else tokens.filter(user=request.user)


# The new key waits in the session for the one page view that shows it: after creating, the
# browser is redirected (a reload must not create a second token) and the key is gone after that.
NEW_KEY = "console.new_api_token"


@never_cache  # the page that shows a new key must not be kept by any cache
@security_required(VIEWER)
def token_list(request):
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            _token, key = issue_token(
                request.user,
                form.cleaned_data["scope"],
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                actor=request.user.get_username(),
                ip=request.META.get("REMOTE_ADDR"),
            )
        except TokenError as error:
            form.add_error(None, str(error))
        else:
            request.session[NEW_KEY] = key
            return redirect("console:tokens")
    key = request.session.pop(NEW_KEY, None)
    page = Paginator(visible_tokens(request), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for token in page:
        token.usable = token.revoked_at is None and (token.expires_at is None or token.expires_at > now)
    if key is None:
        record_request(request, "api.tokens.view", page=page.number)
    context = {"form": form, "page": page, "key": key, "everyone": is_security_admin(request.user)}
    return render(request, "console/token_list.html", context)


@security_required(VIEWER)
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(visible_tokens(request), pk=pk)
    name = token.name or token.prefix
    if revoke_token(token, actor=request.user.get_username(), ip=request.META.get("REMOTE_ADDR")):
        messages.success(request, _("Token %(name)s revoked.") % {"name": name})
    else:
        messages.error(request, _("Token %(name)s was already revoked.") % {"name": name})
    return redirect("console:tokens")
