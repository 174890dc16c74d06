"""Faults on demand: rules that make the emulated APIs and the webhook deliveries misbehave (docs/faults.md)."""
