"""design.md: the domain knows no wire format. No module under emulator/domain/ names an API's code,
envelope or id format, or imports a façade or the webhook renderers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emulator.cloud.codes import TABLE as CLOUD
from emulator.onprem.codes import TABLE as ONPREM

DOMAIN = Path(__file__).resolve().parents[1] / "emulator" / "domain"
MODULES = sorted(DOMAIN.glob("*.py"))
# Codes that are also ordinary numbers in the domain (sizes, limits, HTTP-free constants) are not codes there.
ORDINARY = {0, 1, 2, 3, 4, 10, 33, 100, 200, 400, 500, 1024}  # 1024: a kibibyte, a caption limit
CODES = sorted((set(ONPREM.codes) | set(CLOUD.codes)) - ORDINARY)
WIRE_WORDS = ("wamid", "gBEG", "ABGG", "OAuthException", "fbtrace", "whatsapp_business_account", "X-Hub-Signature")
FORBIDDEN_IMPORTS = ("emulator.onprem", "emulator.cloud", "emulator.webhooks", "emulator.codes", "starlette")


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_no_domain_module_names_a_code_an_envelope_or_an_id_format(module: Path) -> None:
    source = module.read_text(encoding="utf-8")
    numbers = {int(n) for n in re.findall(r"(?<![\w.])(\d{3,6})(?![\w.])", source)}
    assert not numbers & set(CODES), f"{module.name} names API codes {sorted(numbers & set(CODES))}"
    for word in WIRE_WORDS:
        assert word not in source, f"{module.name} names {word!r}"
    for name in FORBIDDEN_IMPORTS:
        assert f"from {name}" not in source and f"import {name}" not in source, f"{module.name} imports {name}"


def test_the_check_would_catch_a_code() -> None:
    assert 470 in CODES and 131047 in CODES and 1026 in CODES
