"""Uploaded media (``/v1/media``): bytes with their MIME type, checked against the reference's limits."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from emulator.domain.reasons import Reason, Refusal
from emulator.ids import IdFactory
from emulator.store import Doc, Store

KIND = "media"
MB = 1024 * 1024

_MIME = re.compile(r"^[\w.+-]+/[\w.+-]+$")


@dataclass(frozen=True)
class MediaClass:
    """A kind of media WhatsApp handles, its MIME types and its size limit (reference §9)."""

    name: str
    mime_types: frozenset[str]
    max_bytes: int


MEDIA_CLASSES = (
    MediaClass("image", frozenset({"image/jpeg", "image/png"}), 5 * MB),
    MediaClass("sticker", frozenset({"image/webp"}), 100 * 1024),
    MediaClass(
        "audio",
        frozenset({"audio/aac", "audio/mp4", "audio/amr", "audio/mpeg", "audio/ogg; codecs=opus"}),
        16 * MB,
    ),
    MediaClass("video", frozenset({"video/mp4", "video/3gpp"}), 16 * MB),
)
DOCUMENT = MediaClass("document", frozenset(), 100 * MB)  # any other valid MIME type


def normalize_mime(content_type: str) -> str:
    """``Audio/OGG;codecs=opus`` -> ``audio/ogg; codecs=opus`` (parameters kept, spacing fixed)."""
    main, *params = (part.strip() for part in content_type.split(";"))
    return "; ".join([main.lower(), *(p.lower().replace(" ", "") for p in params if p)])


def classify(mime: str) -> MediaClass:
    """The media class of a normalised MIME type (``document`` for any other valid one)."""
    for media_class in MEDIA_CLASSES:
        if mime in media_class.mime_types:
            return media_class
    if mime.startswith(("audio/ogg", "audio/opus")):
        raise Refusal(
            Reason.INVALID_PARAMETER,
            f"Content-Type {mime!r} is not supported: Ogg audio must be 'audio/ogg; codecs=opus'",
        )
    return DOCUMENT


class MediaService:
    """Stores uploads in the store's blobs; metadata as documents."""

    def __init__(self, store: Store, tenant: str, ids: IdFactory, now: Callable[[], float]) -> None:
        self._store = store
        self._tenant = tenant
        self._ids = ids
        self._now = now

    def upload(self, content_type: str, data: bytes, *, api: str) -> Doc:
        """Keep the bytes and answer the new media's metadata (with its id)."""
        mime = normalize_mime(content_type)
        if not _MIME.match(mime.split(";")[0]):
            raise Refusal(Reason.INVALID_PARAMETER, "Content-Type must be the media's MIME type, e.g. image/jpeg")
        if not data:
            raise Refusal(Reason.MISSING_PARAMETER, "The request body must hold the media bytes")
        media_class = classify(mime)
        if len(data) > media_class.max_bytes:
            raise Refusal(
                Reason.INVALID_PARAMETER,
                f"{media_class.name} media must be at most {_size(media_class.max_bytes)} (got {_size(len(data))})",
            )
        media: Doc = {
            "id": self._ids.media_id(api),
            "mime_type": mime,
            "kind": media_class.name,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "created_at": self._now(),
        }
        self._store.put_blob(self._tenant, media["id"], mime, data)
        self._store.put(self._tenant, KIND, media["id"], media)
        return media

    def find(self, media_id: str) -> Doc | None:
        """Metadata of an uploaded media, or None."""
        return self._store.get(self._tenant, KIND, media_id)

    def download(self, media_id: str) -> tuple[str, bytes]:
        """(MIME type, bytes); refused as not found if there is no such media."""
        blob = self._store.get_blob(self._tenant, media_id)
        if blob is None:
            raise Refusal(Reason.NOT_FOUND, f"Media {media_id} not found")
        return blob

    def delete(self, media_id: str) -> None:
        """Forget a media; refused as not found if there is no such media."""
        if not self._store.delete(self._tenant, KIND, media_id):
            raise Refusal(Reason.NOT_FOUND, f"Media {media_id} not found")
        self._store.delete_blob(self._tenant, media_id)


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n / 1024:.0f} KB"
