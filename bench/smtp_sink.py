"""An SMTP server on loopback that accepts and discards mail, for the email benchmark.

Deliberately minimal (it answers each command and counts messages, nothing more), so that on a
two-core machine it takes as little CPU as possible from the worker being measured. The tests
use aiosmtpd, a complete server, instead.
"""

from __future__ import annotations

import asyncio
import signal
import sys


class Sink(asyncio.Protocol):
    received = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""
        self.in_data = False
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                Sink.received += 1
                self.transport.write(b"250 OK\r\n")
                continue
            line, sep, rest = self.buffer.partition(b"\r\n")
            if not sep:
                return
            self.buffer = rest
            verb = line[:4].upper()
            if verb == b"EHLO":
                # PIPELINING as Postfix and Exim offer it: the commands of one message may come
                # in one packet, answered in order (this loop reads them one by one).
                self.transport.write(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.in_data = True
                self.transport.write(b"354 go on\r\n")
            elif verb == b"QUIT":
                self.transport.write(b"221 bye\r\n")
                self.transport.close()
                return
            else:
                self.transport.write(b"250 OK\r\n")


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Sink, "127.0.0.1", port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    server.close()
    print(f"received {Sink.received}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
