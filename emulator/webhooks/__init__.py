"""Outbound webhooks: what we push (``content``), payload builders per wire format, the delivery queue.

The queue lives in ``emulator.webhooks.queue`` and is imported only where it is used: it needs
httpx, which costs ~90 ms to import, and the emulator answers its first request before that.
"""
