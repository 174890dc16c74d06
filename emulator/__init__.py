"""wa-emulator: a local, faithful emulator of the WhatsApp Business On-Premises API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wa-emulator")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"
