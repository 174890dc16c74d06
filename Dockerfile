# wa-emulator: the WhatsApp Business On-Premises API emulator as a container.
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY schemas ./schemas
COPY fixtures ./fixtures
RUN pip install --no-cache-dir . && useradd --system --uid 10001 emulator
USER emulator

ENV WA_EMULATOR_HOST=0.0.0.0 \
    WA_EMULATOR_PORT=9090
EXPOSE 9090
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=5 CMD ["wa-emulator", "healthcheck"]
CMD ["wa-emulator", "serve"]
