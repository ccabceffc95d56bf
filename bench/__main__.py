"""`python -m bench [--quick] [options]`: the benchmark harness entry point.

Today it runs the delivery scenario (throughput against a plain-requests baseline, and latency at a
paced load); the other scenarios of the performance issue (SQL per message, ingest, backlog memory,
fairness, read scale) are still to come. See bench/delivery.py for the options.
"""
from __future__ import annotations

import sys

from bench.delivery import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
