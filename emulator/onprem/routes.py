"""Every route of the On-Premises ``/v1`` API, one line each."""

from __future__ import annotations

from starlette.routing import Route

from emulator.onprem import handlers as h


def routes() -> list[Route]:
    """The emulated ``/v1`` surface."""
    return [  # the hot path first: Starlette tries routes in order
        Route("/v1/messages", h.send_message, methods=["POST"]),
        Route("/v1/users/login", h.login, methods=["POST"]),
        Route("/v1/users/logout", h.logout, methods=["POST"]),
        Route("/v1/contacts", h.check_contacts, methods=["POST"]),
        Route("/v1/messages/{message_id}", h.mark_read, methods=["PUT"]),
        Route("/v1/media", h.upload_media, methods=["POST"]),
        Route("/v1/media/{media_id}", h.download_media, methods=["GET"]),
        Route("/v1/media/{media_id}", h.delete_media, methods=["DELETE"]),
        Route("/v1/settings/application", h.get_application_settings, methods=["GET"]),
        Route("/v1/settings/application", h.patch_application_settings, methods=["PATCH"]),
        Route("/v1/settings/application", h.delete_application_settings, methods=["DELETE"]),
        Route("/v1/health", h.health, methods=["GET"]),
    ]
