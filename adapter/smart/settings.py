"""The SMART app's view of the settings (:mod:`adapter.settings`, docs/smart-app.md).

The app is off until a public base URL is set: its redirect URI and the cards' launch links are
made from it. ``SPINEMETS_SMART_FHIR_SERVERS`` lists the FHIR servers (the ``iss`` of an EHR
launch) the app will talk to; a launch naming any other server is refused, so a link cannot send
the user's browser, and then the app's requests, to a server of someone else's choosing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from adapter.settings import SpinemetsSettings, load
from adapter.settings.issuers import is_loopback_url
from adapter.settings.smart import READ_WRITE

__all__ = ["READ_WRITE", "SmartSettings", "is_loopback_url", "smart_settings"]


class SmartSettings(SpinemetsSettings):
    """What the SMART app reads from its environment."""

    @property
    def enabled(self) -> bool:
        return self.public_base_url is not None

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_base_url}/smart/callback"

    @property
    def root(self) -> str:
        """The app's URL path as the browser sees it (behind a proxy, with its prefix)."""
        return urlsplit(self.public_base_url or "").path.rstrip("/") + "/smart"

    @property
    def launch_url(self) -> str:
        return f"{self.public_base_url}/smart/launch"

    @property
    def secure_cookies(self) -> bool:
        # Browsers keep Secure cookies from https and from loopback http (development) only.
        base = self.public_base_url or ""
        return base.startswith("https://") or is_loopback_url(base)


def smart_settings() -> SmartSettings:
    """The settings from the environment; ConfigurationError (one line) when unusable."""
    return load(SmartSettings)
