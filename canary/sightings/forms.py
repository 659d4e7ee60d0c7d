from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Uploads are read into memory to be hashed and stored; bigger dumps go through a watched folder.
MAX_UPLOAD_BYTES = 512 << 20


def validate_upload_size(upload) -> None:
    """For the console form and the API alike."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)d MB; drop it into a watched folder instead."),
            params={"limit": MAX_UPLOAD_BYTES >> 20},
        )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV, XLSX, JSON, text, HTML, PDF, ZIP or a label photo"),
        validators=[validate_upload_size],
    )
    seen_at = forms.DateTimeField(
        label=_("Obtained"),
        required=False,
        help_text=_("When the dump was bought or first seen circulating (e.g. 2026-11-20 08:00)"),
    )
