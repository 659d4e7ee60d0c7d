"""What the console's edit pages and enable switches share: save, audit, say so, go back."""

from __future__ import annotations

from django.contrib import messages
from django.db import models
from django.forms import ModelForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from canary.audit.services import record_request


def edit_page(request, form: ModelForm, *, audit: str, back: str, template: str, **context):
    """Show ``form``; on a valid POST save it, audit ``audit`` and go to the ``back`` page."""
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        record_request(request, audit, saved, changed=form.changed_data)
        messages.success(request, _("“%(name)s” saved.") % {"name": saved.name})
        return redirect(back)
    return render(request, template, {"form": form, **context})


def toggle_enabled(request, obj: models.Model, audit: str, back: str):
    """Flip ``obj.enabled`` (its save hooks run) and audit ``<audit>.enable`` or ``.disable``."""
    obj.enabled = not obj.enabled
    obj.save(update_fields=["enabled"])
    record_request(request, f"{audit}.{'enable' if obj.enabled else 'disable'}", obj)
    return redirect(back)
