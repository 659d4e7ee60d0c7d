from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from canary.audit.roles import is_security_admin
from canary.sightings.fetchers import folder_root
from canary.sightings.models import FETCHED_KINDS, Source, SourceKind


class SourceForm(forms.ModelForm):
    """A watched source. Folders are chosen relative to the folder root and checked on save."""

    url = forms.URLField(label=_("URL"), required=False, max_length=1000, assume_scheme="https")
    folder = forms.CharField(
        label=_("Folder"),
        required=False,
        max_length=400,
        help_text=_("Relative to the watched-folder root, e.g. forums/bought"),
    )

    class Meta:
        model = Source
        fields = ("name", "kind", "url", "folder", "follow_links", "every_minutes", "enabled", "internal")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (v, label) for v, label in SourceKind.choices if v != SourceKind.UPLOAD
        ]
        if self.instance.path:
            root = folder_root()
            path = Path(self.instance.path)
            self.initial["folder"] = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        if not is_security_admin(user):
            # Only a security admin may let a source reach private or loopback addresses.
            self.fields["internal"].disabled = True
        self.fields["every_minutes"].min_value = 1

    def clean_folder(self) -> str:
        value = self.cleaned_data["folder"].strip()
        if self.cleaned_data.get("kind") != SourceKind.FOLDER:
            return ""
        if not value:
            raise forms.ValidationError(_("A watched folder needs a folder."))
        root = folder_root()
        if Path(value).is_absolute():
            raise forms.ValidationError(_("Give the folder relative to the watched-folder root."))
        folder = (root / value).resolve()
        if not folder.is_relative_to(root):
            raise forms.ValidationError(_("The folder must lie inside the watched-folder root."))
        if not folder.is_dir():
            raise forms.ValidationError(_("No such folder under the watched-folder root."))
        return str(folder)

    def clean(self):
        data = super().clean()
        if data.get("kind") in FETCHED_KINDS and not data.get("url"):
            self.add_error("url", _("A web source needs a URL."))
        if data.get("every_minutes") is not None and data["every_minutes"] < 1:
            self.add_error("every_minutes", _("Fetch at least once every few minutes: 1 or more."))
        return data

    def save(self, commit: bool = True) -> Source:
        self.instance.path = self.cleaned_data.get("folder", "")
        if self.instance.kind != SourceKind.FOLDER:
            self.instance.path = ""
        return super().save(commit)
