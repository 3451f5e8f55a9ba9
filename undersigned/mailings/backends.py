"""Email backends: demo mode's, which keeps messages in the database for the local mailbox
page, and the SMTP one the worker sends prepared messages with."""

from __future__ import annotations

import contextlib
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
    first: without quoteaddr's two parses an email cost the worker 698 µs of CPU instead of
    790 (in the process, on a slow machine; README, Performance). Any other address, and
    SMTPUTF8, go through smtplib's own way."""

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

    def sendmail(
        self,
        from_addr: str,
        to_addrs: str | Sequence[str],
        msg: Any,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> dict[str, tuple[int, bytes]]:
        """smtplib's sendmail; for a prepared message to one plain address, on a server that
        offers PIPELINING (RFC 2920; Postfix and Exim do), MAIL, RCPT and DATA go in one
        write and their replies are read together: one round trip instead of three. Refusals
        raise what smtplib raises for them."""
        self.ehlo_or_helo_if_needed()
        to = [to_addrs] if isinstance(to_addrs, str) else list(to_addrs)
        if (
            mail_options
            or rcpt_options
            or not isinstance(msg, bytes)
            or len(to) != 1
            or not self.has_extn("pipelining")
            or not _PLAIN_ADDRESS.fullmatch(from_addr)
            or not _PLAIN_ADDRESS.fullmatch(to[0])
        ):
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        size = f" size={len(msg)}" if self.has_extn("size") else ""
        self.send(f"mail FROM:<{from_addr}>{size}\r\nrcpt TO:<{to[0]}>\r\ndata\r\n")
        mail, rcpt, data = self.getreply(), self.getreply(), self.getreply()
        accepted = mail[0] == 250 and rcpt[0] in (250, 251)
        if data[0] == 354 and not accepted:
            # A server must refuse DATA without a recipient; one that did not gets an empty
            # message, which it cannot deliver to anyone.
            self.send(".\r\n")
            self.getreply()
        if mail[0] != 250:
            self._refused(mail[0])
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], from_addr)
        if rcpt[0] not in (250, 251):
            self._refused(rcpt[0])
            raise smtplib.SMTPRecipientsRefused({to[0]: rcpt})
        if data[0] != 354:
            raise smtplib.SMTPDataError(*data)
        quoted = re.sub(rb"(?m)^\.", b"..", msg)
        if quoted[-2:] != b"\r\n":
            quoted += b"\r\n"
        self.send(quoted + b".\r\n")
        code, reply = self.getreply()
        if code != 250:
            self._refused(code)
            raise smtplib.SMTPDataError(code, reply)
        return {}

    def _refused(self, code: int) -> None:
        """As smtplib's sendmail after a refusal: a server closing the connection (421) is
        left, any other is told to forget the message."""
        if code == 421:
            self.close()
        else:
            # What smtplib's private _rset does: a server already gone needs no reset.
            with contextlib.suppress(smtplib.SMTPServerDisconnected):
                self.rset()


def _option_list(client: smtplib.SMTP, options: Sequence[str]) -> str:
    return " " + " ".join(options) if options and client.does_esmtp else ""


class _SSLClient(_Client, smtplib.SMTP_SSL):
    pass


class SMTPBackend(EmailBackend):
    """Django's SMTP backend, configured by the same settings, with the client above."""

    @property
    def connection_class(self) -> Any:
        return _SSLClient if self.use_ssl else _Client
