"""Email backends: demo mode's, which keeps messages in the database for the local mailbox
page, and the SMTP one the worker sends prepared messages with."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend

from undersigned.mailings.models import DemoMail


class DemoMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            DemoMail.objects.create(
                to=", ".join(message.to), subject=str(message.subject), body=str(message.body)
            )
        return len(email_messages)


# A bare address in dot-atom form (RFC 5322 3.4.1), ASCII: what smtplib.quoteaddr returns
# unchanged between angle brackets, as the tests check.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


class _Client(smtplib.SMTP):
    """smtplib's client, sending a plain address as it is instead of parsing it as a header
    first: quoteaddr's parsing took a sixth of the worker's time in a surge (see bench/).
    Any other address, and SMTPUTF8, go through smtplib's own way."""

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if not _PLAIN_ADDRESS.fullmatch(sender) or any(o.lower() == "smtputf8" for o in options):
            return super().mail(sender, options)
        self.putcmd("mail", f"FROM:<{sender}>{_option_list(self, options)}")
        return self.getreply()

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if not _PLAIN_ADDRESS.fullmatch(recip):
            return super().rcpt(recip, options)
        self.putcmd("rcpt", f"TO:<{recip}>{_option_list(self, options)}")
        return self.getreply()


def _option_list(client: smtplib.SMTP, options: Sequence[str]) -> str:
    return " " + " ".join(options) if options and client.does_esmtp else ""


class _SSLClient(_Client, smtplib.SMTP_SSL):
    pass


class SMTPBackend(EmailBackend):
    """Django's SMTP backend, configured by the same settings, with the client above."""

    @property
    def connection_class(self) -> Any:
        return _SSLClient if self.use_ssl else _Client
