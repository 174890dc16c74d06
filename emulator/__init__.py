"""wa-emulator: a local, faithful emulator of the WhatsApp Business On-Premises API."""

# Kept in step with pyproject.toml by a test; importlib.metadata would cost ~70 ms at start-up.
__version__ = "0.1.0"
