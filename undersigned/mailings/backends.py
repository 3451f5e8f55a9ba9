"""Demo mode's email backend, which keeps messages in the database for the local mailbox
page. The SMTP client and backend are in undersigned.mailings.smtp."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from undersigned.mailings.models import DemoMail


class DemoMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            DemoMail.objects.create(
                to=", ".join(message.to), subject=str(message.subject), body=str(message.body)
            )
        return len(email_messages)
