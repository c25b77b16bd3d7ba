"""`make bench` / `python -m bench [name ...]`: run the benchmarks and print their tables."""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS = {
    "ack": "bench.ack_latency",
    "search": "bench.search",
    "import": "bench.import_speed",
    "shopify": "bench.shopify_lookups",
    "labels": "bench.labels",
    "instant-return": "bench.instant_return",
    "carrier-return": "bench.carrier_return",
    "tick": "bench.tick",
    "cli-start": "bench.cli_start",
    "cancel-order": "bench.cancel_order",
    "report-sales": "bench.report_sales",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], help="which to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    for name in args.names or list(BENCHMARKS):
        module = importlib.import_module(BENCHMARKS[name])
        print(f"\n=== {name} ===", flush=True)
        module.run(quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
