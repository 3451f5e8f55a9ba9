"""An SMTP server on loopback that accepts and discards mail, for the email benchmark."""

from __future__ import annotations

import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    received = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        Sink.received += 1
        return "250 OK"


if __name__ == "__main__":
    controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    print(f"received {Sink.received}", flush=True)
