"""E-mail through Django's configured e-mail backend (SMTP in production)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.html import escape, linebreaks

from canary.alerts.render import render

from .base import TransportError


def recipients(target: str) -> list[str]:
    return [address.strip() for address in target.replace(";", ",").split(",") if address.strip()]


def notify(alert) -> str:
    message = render(alert.payload)
    to = recipients(alert.channel.target)
    if not to:
        raise TransportError("no recipient address", permanent=True)
    mail = EmailMultiAlternatives(
        subject=message.title,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        # One Message-ID per alert, on every attempt: mail systems drop the repeat.
        headers={
            "X-Canary-Alert-Id": str(alert.pk),
            "Message-ID": f"<{alert.idempotency_key}@canary.alerts>",
        },
    )
    mail.attach_alternative(linebreaks(escape(message.text)), "text/html")
    try:
        mail.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise TransportError(f"recipients refused: {exc.recipients}", permanent=True) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise TransportError(f"SMTP login refused: {exc.smtp_code}", permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        # 5xx replies are final, 4xx are "try again later" in SMTP's own terms.
        raise TransportError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    return ""
