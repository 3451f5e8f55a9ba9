"""Sending over SMTP: the client that speaks the dialogue, and each worker thread's pool of open
connections. Only the outbox (undersigned.mailings.outbox) sends with it.
"""

from __future__ import annotations

import contextlib
import functools
import re
import smtplib
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, cast

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend
from django.utils.module_loading import import_string

# Emails sent over one connection before it is closed and a new one opened: some mail servers
# refuse more than so many on one connection, and a long surge would otherwise keep one open
# for hours.
MESSAGES_PER_CONNECTION = 100

# A bare address in dot-atom form (RFC 5322 3.4.1), ASCII: what smtplib.quoteaddr returns
# unchanged between angle brackets, as the tests check.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


class Client(smtplib.SMTP):
    """smtplib's client, with a message's dialogue split at its final dot (`begin`, `end`,
    `ended`), so that the outbox can record a message as sent between the two (see
    outbox.send_once). A plain address is sent as it is instead of being parsed as a header;
    on a server that offers PIPELINING (RFC 2920; Postfix and Exim do), MAIL, RCPT and DATA go
    in one write and their replies are read together: one round trip instead of three."""

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if not PLAIN_ADDRESS.fullmatch(sender) or any(o.lower() == "smtputf8" for o in options):
            return super().mail(sender, options)
        self.putcmd("mail", f"FROM:<{sender}>{_option_list(self, options)}")
        return self.getreply()

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        if not PLAIN_ADDRESS.fullmatch(recip):
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
        """smtplib's sendmail; a composed message to one address is sent with `begin`."""
        to = [to_addrs] if isinstance(to_addrs, str) else list(to_addrs)
        if mail_options or rcpt_options or not isinstance(msg, bytes) or len(to) != 1:
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        self.begin(from_addr, to[0], msg, end=True)
        self.ended()
        return {}

    def begin(self, sender: str, to: str, data: bytes, *, end: bool = False) -> None:
        """Everything of a message but its final dot (unless `end`: then with it, in the same
        write). A refusal raises what smtplib's sendmail raises for it."""
        self.ehlo_or_helo_if_needed()
        options = []
        if self.has_extn("size"):
            options.append(f"size={len(data)}")
        if self.has_extn("8bitmime") and not data.isascii():
            options.append("BODY=8BITMIME")
        if (
            self.has_extn("pipelining")
            and PLAIN_ADDRESS.fullmatch(sender)
            and PLAIN_ADDRESS.fullmatch(to)
        ):
            self.send(
                f"mail FROM:<{sender}>{_option_list(self, options)}\r\nrcpt TO:<{to}>\r\ndata\r\n"
            )
            mail, rcpt, ready = self.getreply(), self.getreply(), self.getreply()
            if ready[0] == 354 and not (mail[0] == 250 and rcpt[0] in (250, 251)):
                # A server must refuse DATA without a recipient; one that did not gets an
                # empty message, which it cannot deliver to anyone.
                self.send(".\r\n")
                self.getreply()
        else:
            mail = self.mail(sender, options)
            rcpt = self.rcpt(to) if mail[0] == 250 else (0, b"")
            ready = self.docmd("data") if rcpt[0] in (250, 251) else (0, b"")
        if mail[0] != 250:
            self._refused(mail[0])
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
        if rcpt[0] not in (250, 251):
            self._refused(rcpt[0])
            raise smtplib.SMTPRecipientsRefused({to: rcpt})
        if ready[0] != 354:
            raise smtplib.SMTPDataError(*ready)
        quoted = re.sub(rb"(?m)^\.", b"..", data)
        if quoted[-2:] != b"\r\n":
            quoted += b"\r\n"
        self.send(quoted + b".\r\n" if end else quoted)

    def end(self) -> None:
        """The final dot: from here the server delivers the message."""
        self.send(b".\r\n")

    def ended(self) -> None:
        """The server's answer to the final dot: raises SMTPDataError if it refused."""
        code, reply = self.getreply()
        if code != 250:
            self._refused(code)
            raise smtplib.SMTPDataError(code, reply)

    def _refused(self, code: int) -> None:
        """As smtplib's sendmail after a refusal: a server closing the connection (421) is
        left, any other is told to forget the message."""
        if code == 421:
            self.close()
        else:
            with contextlib.suppress(smtplib.SMTPServerDisconnected):
                self.rset()


def _option_list(client: smtplib.SMTP, options: Sequence[str]) -> str:
    return " " + " ".join(options) if options and client.does_esmtp else ""


class _SSLClient(Client, smtplib.SMTP_SSL):
    pass


class SMTPBackend(EmailBackend):
    """Django's SMTP backend, configured by the same settings, with the client above."""

    # Emails sent over this connection, while it is in the pool.
    messages_sent = 0

    @property
    def connection_class(self) -> Any:
        return _SSLClient if self.use_ssl else Client

    @property
    def client(self) -> Client:
        """The open connection's client."""
        return cast(Client, self.connection)


def over_smtp() -> bool:
    """Whether the configured email backend is Django's SMTP backend (or one derived from it):
    then the outbox sends composed messages over its own connections; any other backend (the
    demo mailbox, the tests' memory) is given each message as an EmailMessage."""
    return _is_smtp(settings.EMAIL_BACKEND)


@functools.lru_cache(maxsize=8)
def _is_smtp(path: str) -> bool:
    backend = import_string(path)
    return isinstance(backend, type) and issubclass(backend, EmailBackend)


# A connection left unused this long is asked whether it is still open (NOOP) before it
# carries another message: a server may close one that waited through a long job.
IDLE_SECONDS = 10.0


class _Pool(threading.local):
    def __init__(self) -> None:
        # Each open connection with the time it was given back.
        self.open: list[tuple[SMTPBackend, float]] = []
        # Inside `kept_open`: connections go back to the pool instead of being closed.
        self.keeping = False


_pool = _Pool()


def connection() -> SMTPBackend:
    """An open connection from this thread's pool, or a new one (with TLS and login as
    configured). Give it back, or drop it if anything went wrong on it."""
    while _pool.open:
        backend, since = _pool.open.pop()
        if time.monotonic() - since < IDLE_SECONDS or _answers(backend):
            return backend
        drop(backend)
    backend = SMTPBackend()
    try:
        backend.open()
    except Exception:
        # Connected but refused at STARTTLS or login, say: not left open.
        drop(backend)
        raise
    return backend


def _answers(backend: SMTPBackend) -> bool:
    try:
        return bool(backend.client.noop()[0] == 250)
    except Exception:  # noqa: BLE001 - gone: a new one is opened
        return False


def give_back(backend: SMTPBackend, *, sent: bool) -> None:
    """Back to the pool, or closed once it has carried MESSAGES_PER_CONNECTION emails."""
    backend.messages_sent += sent
    if not _pool.keeping or backend.messages_sent >= MESSAGES_PER_CONNECTION:
        drop(backend)
    else:
        _pool.open.append((backend, time.monotonic()))


def after_refusal(backend: SMTPBackend) -> None:
    """After the server refused a message: the client has reset the connection, or closed it
    if the server was closing it (Client._refused)."""
    if backend.client.sock is None:
        drop(backend)
    else:
        give_back(backend, sent=False)


def drop(backend: SMTPBackend) -> None:
    with contextlib.suppress(Exception):
        backend.close()


def abandon(backend: SMTPBackend) -> None:
    """Close a connection in the middle of a message without a word more: QUIT would be taken
    as part of the message's text, so the server never delivers it."""
    with contextlib.suppress(Exception):
        backend.client.close()
    backend.connection = None


@contextlib.contextmanager
def kept_open() -> Iterator[None]:
    """Connections given back while this lasts stay open for the next emails, and are closed
    when it ends (the worker's drain: until nothing more is due)."""
    _pool.keeping = True
    try:
        yield
    finally:
        _pool.keeping = False
        while _pool.open:
            drop(_pool.open.pop()[0])
