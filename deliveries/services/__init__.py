"""Delivery workflows: fan-out, the engine (claim, send, record), recovery. Modules per mechanism."""
