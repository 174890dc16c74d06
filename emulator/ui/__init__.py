"""The web page (``/_emulator/ui``): watch and drive conversations like a phone, live over Server-Sent Events."""
