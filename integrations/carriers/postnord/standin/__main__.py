"""Serve a fake PostNord on 127.0.0.1 until Ctrl-C, and print the settings that point the bot at it:

    python -m integrations.carriers.postnord.standin [--port 8765] [--return-postal-code 00140]
"""

from __future__ import annotations

import argparse
import threading

from integrations.carriers.postnord.standin.server import FakePostNord


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m integrations.carriers.postnord.standin", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--return-postal-code", default=None, help="refuse returns not consigned to this postcode")
    args = parser.parse_args(argv)
    fake = FakePostNord(return_postal_code=args.return_postal_code).start(args.port)
    print(f"CARRIER=postnord POSTNORD_API_URL={fake.url} POSTNORD_API_KEY={fake.api_key} "
          f"POSTNORD_CUSTOMER_NUMBER={fake.customer_number}", flush=True)  # fmt: skip
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
