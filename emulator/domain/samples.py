"""Small valid media files a simulated user can send without uploading anything first."""

from __future__ import annotations

import base64

# The PNG and the PDF open in any viewer; the others carry just their format's header bytes.
_SAMPLES = {
    "image": (
        "image/png",
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    ),
    "sticker": ("image/webp", "UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA"),
    "document": (
        "application/pdf",
        "JVBERi0xLjQKMSAwIG9iajw8L1R5cGUvQ2F0YWxvZy9QYWdlcyAyIDAgUj4+ZW5kb2JqCjIgMCBvYmo8PC9UeXBlL1BhZ2VzL0tp"
        "ZHNbMyAwIFJdL0NvdW50IDE+PmVuZG9iagozIDAgb2JqPDwvVHlwZS9QYWdlL1BhcmVudCAyIDAgUi9NZWRpYUJveFswIDAgNjEy"
        "IDc5Ml0+PmVuZG9iagp0cmFpbGVyPDwvUm9vdCAxIDAgUj4+CiUlRU9G",
    ),
    "audio": ("audio/aac", "//FQgAP//N4CAExhdmM1OC4xMzQuMTAwAEI="),
    "voice": ("audio/ogg; codecs=opus", "T2dnUwACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="),
    "video": ("video/mp4", "AAAAGGZ0eXBtcDQyAAAAAG1wNDJpc29t"),
}


def sample(kind: str) -> tuple[str, bytes]:
    """(MIME type, bytes) of a small sample file for a media kind."""
    mime, data = _SAMPLES[kind]
    return mime, base64.b64decode(data)
