#!/usr/bin/env python3
"""A real SMTP server for meldkluis's e-mail tests, built on aiosmtpd.

It speaks SMTP on 127.0.0.1 (a free port unless --port is given), prints
"listening on PORT" once it accepts connections, and stores every message
it accepts as DIR/mail-NNNN.eml, raw, with DIR/mail-NNNN.json beside it
(envelope, headers, decoded subject and body, as Python's e-mail package
reads them). The .json is written first and the .eml renamed into place
last, so a reader that sees the .eml sees both complete.

Each DATA transaction takes the next action from --script (comma-separated;
"ok" once the script is used up):

  ok     store the message and answer 250
  NNN    answer with that reply code (e.g. 451, 554) and store nothing
  drop   close the connection without an answer and store nothing
  hang   store the message, then wait --hang seconds before answering 250:
         a client that dies in between never hears that its message was
         accepted (RFC 1047's duplicate window)

Every transaction is appended to DIR/transactions.log as
"<action> <Message-ID>". Refusals quote the recipient's address in the
reply text on purpose: the client must never log reply text.

Options for the TLS and AUTH tests: --security starttls|tls with
--cert/--key, and --auth USER:PASSWORD (AUTH only after TLS).
"""

import argparse
import asyncio
import json
import os
import ssl
import sys
from email import policy
from email.parser import BytesHeaderParser, BytesParser

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, script, hang):
        self.directory = directory
        self.script = [a.strip() for a in script.split(",") if a.strip()]
        self.hang = hang
        self.stored = 0

    def log(self, action, message_id, rcpt):
        with open(os.path.join(self.directory, "transactions.log"), "a") as log:
            log.write(f"{action} {message_id} {','.join(rcpt)}\n")
            log.flush()
            os.fsync(log.fileno())

    def store(self, envelope):
        content = envelope.original_content
        self.stored += 1
        base = os.path.join(self.directory, f"mail-{self.stored:04d}")
        message = BytesParser(policy=policy.default).parsebytes(content)
        decoded = {
            "mail_from": envelope.mail_from,
            "rcpt_to": envelope.rcpt_tos,
            "headers": [[k, str(v)] for k, v in message.items()],
            "subject": str(message["Subject"]),
            "body": message.get_content(),
        }
        with open(base + ".json", "w") as out:
            json.dump(decoded, out)
            out.flush()
            os.fsync(out.fileno())
        name = base + ".eml"
        with open(name + ".part", "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.rename(name + ".part", name)

    async def handle_DATA(self, server, session, envelope):
        action = self.script.pop(0) if self.script else "ok"
        headers = BytesHeaderParser().parsebytes(envelope.original_content or b"")
        message_id = headers.get("Message-ID", "-")
        self.log(action, message_id, envelope.rcpt_tos)
        if action == "drop":
            server.transport.close()
            return "421 4.3.0 closing"
        if action in ("ok", "hang"):
            self.store(envelope)
            if action == "hang":
                await asyncio.sleep(self.hang)
            return "250 2.0.0 OK"
        return f"{action} refused by the test script for <{','.join(envelope.rcpt_tos)}>"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", default="")
    parser.add_argument("--hang", type=float, default=5.0)
    parser.add_argument("--security", choices=["none", "starttls", "tls"], default="none")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth")
    args = parser.parse_args()

    sink = Sink(args.dir, args.script, args.hang)
    context = None
    if args.security != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    authenticator = None
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            return AuthResult(success=ok)

    def factory():
        return SMTP(
            sink,
            hostname="sink.test",
            tls_context=context if args.security == "starttls" else None,
            require_starttls=args.security == "starttls",
            authenticator=authenticator,
            auth_required=authenticator is not None,
            # aiosmtpd only knows of STARTTLS; with implicit TLS the whole
            # connection is TLS already.
            auth_require_tls=args.security != "tls",
        )

    async def serve():
        server = await asyncio.get_running_loop().create_server(
            factory,
            host="127.0.0.1",
            port=args.port,
            ssl=context if args.security == "tls" else None,
        )
        port = server.sockets[0].getsockname()[1]
        print(f"listening on {port}", flush=True)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
