"""The approved-template registry: definitions, fixtures, and template/hsm sends checked and hydrated."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.domain.reasons import Reason, Refusal
from emulator.domain.templates import (
    DEFAULT_NAMESPACE,
    KIND,
    TemplateRegistry,
    definitions_in,
)
from emulator.fixtures import load_fixtures
from emulator.onprem.codes import TABLE as ONPREM
from emulator.resources import data_dir
from emulator.schemas import SchemaSet
from emulator.store import MemoryStore

TENANT = "default"
FIXTURES = load_fixtures().templates
SCHEMA = "control/template.json"

# The two sends of Meta's "Sending Interactive Message Templates" guide, verbatim (template objects).
TRIP_REMINDER: dict[str, Any] = {
    "namespace": "88b39973_f0d5_54e1_29cf_e80f1e3da4f2",
    "name": "upcoming_trip_reminder",
    "language": {"code": "en", "policy": "deterministic"},
    "components": [
        {"type": "header", "parameters": [{"type": "text", "text": "12/26"}]},
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "*Ski Trip*"},
                {
                    "type": "date_time",
                    "date_time": {
                        "fallback_value": "29th July 2019, 8:00am",
                        "day_of_month": "29",
                        "year": "2019",
                        "month": "7",
                        "hour": "8",
                        "minute": "00",
                    },
                },
                {"type": "text", "text": "*Squaw Valley Ski Resort, Tahoe*"},
            ],
        },
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": 0,
            "parameters": [{"type": "payload", "payload": "Yes-Button-Payload"}],
        },
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": 1,
            "parameters": [{"type": "payload", "payload": "No-Button-Payload"}],
        },
    ],
}
SHIPMENT_UPDATE: dict[str, Any] = {
    "namespace": "88b39973_f0d5_54e1_29cf_e80f1e3da4f2",
    "name": "oculus_shipment_update",
    "language": {"code": "en", "policy": "deterministic"},
    "components": [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": "link-to-your-image"}}]},
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Anand"},
                {"type": "text", "text": "Quest"},
                {"type": "text", "text": "113-0921387"},
                {
                    "type": "date_time",
                    "date_time": {
                        "fallback_value": "23rd Nov 2019",
                        "day_of_month": "20",
                        "year": "2019",
                        "month": "9",
                    },
                },
            ],
        },
        {
            "type": "button",
            "index": "0",
            "sub_type": "url",
            "parameters": [{"type": "text", "text": "1Z999AA10123456784"}],
        },
    ],
}


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return SchemaSet(data_dir("schemas"))


@pytest.fixture
def registry() -> TemplateRegistry:
    registry = TemplateRegistry(MemoryStore(), TENANT, FIXTURES, DEFAULT_NAMESPACE)
    registry.load_fixtures()
    return registry


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def send(name: str, code: str = "en_US", *components: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A ``template`` object as a bot sends it."""
    return {
        "name": name,
        "language": {"policy": "deterministic", "code": code},
        "components": list(components),
        **extra,
    }


def body(*params: dict[str, Any]) -> dict[str, Any]:
    return {"type": "body", "parameters": list(params)}


def button(sub_type: str, index: int | str, *params: dict[str, Any]) -> dict[str, Any]:
    return {"type": "button", "sub_type": sub_type, "index": index, "parameters": list(params)}


def order(*components: dict[str, Any]) -> dict[str, Any]:
    """A send of ``order_confirmation`` (body only, four parameters) with the given components."""
    return send("order_confirmation", "en_US", *components)


@contextlib.contextmanager
def refused(reason: Reason, match: str | None = None) -> Iterator[pytest.ExceptionInfo[Refusal]]:
    """Expect a refusal for ``reason`` (whose text matches ``match``)."""
    with pytest.raises(Refusal, match=match) as caught:
        yield caught
    assert caught.value.reason is reason, caught.value


ORDER_BODY = body(text("Maria"), text("#10341"), text("$42.50"), text("Friday"))


def rejected(registry: TemplateRegistry, template: dict[str, Any], code: int, path: str | None = None) -> str:
    """Assert the send is refused with ``code`` (and the JSON path); return the details."""
    with pytest.raises(Refusal) as caught:
        registry.hydrate(template)
    assert ONPREM.code(caught.value.reason) == code, caught.value.details
    if path is not None:
        assert caught.value.path == path
        assert caught.value.details.startswith(f"{path}: ")
    return caught.value.details


# --- definitions -------------------------------------------------------------------------------


@pytest.mark.parametrize("definition", FIXTURES, ids=lambda d: f"{d['name']}:{d['language']}")
def test_every_fixture_is_a_valid_definition(schemas: SchemaSet, definition: dict[str, Any]) -> None:
    schemas.validate(SCHEMA, definition)


def test_the_fixture_file_as_a_whole_is_valid(schemas: SchemaSet) -> None:
    schemas.validate(SCHEMA, FIXTURES)


def test_the_fixtures_hold_the_seed_templates_and_hello_world() -> None:
    keys = {f"{d['name']}:{d['language']}" for d in FIXTURES}
    assert {"upcoming_trip_reminder:en", "oculus_shipment_update:en", "hello_world:en_US"} <= keys


def test_meta_list_answer_with_extra_fields_is_accepted(schemas: SchemaSet) -> None:
    answer = {
        "data": [
            {
                "name": "seasonal_promotion",
                "parameter_format": "POSITIONAL",
                "components": [
                    {
                        "type": "HEADER",
                        "format": "TEXT",
                        "text": "Our {{1}} is on!",
                        "example": {"header_text": ["Summer Sale"]},
                    },
                    {
                        "type": "BODY",
                        "text": "Shop now through {{1}}.",
                        "example": {"body_text": [["the end of August"]]},
                    },
                    {
                        "type": "FOOTER",
                        "text": "Use the buttons below to manage your marketing subscriptions",
                    },
                    {
                        "type": "BUTTONS",
                        "buttons": [{"type": "QUICK_REPLY", "text": "Unsubscribe from Promos"}],
                    },
                ],
                "language": "en_US",
                "status": "APPROVED",
                "category": "MARKETING",
                "sub_category": "CUSTOM",
                "previous_category": "UTILITY",
                "quality_score": {"score": "GREEN", "date": 1718000000},
                "rejected_reason": "NONE",
                "id": "546151681022936",
            }
        ],
        "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}},
    }
    schemas.validate(SCHEMA, answer)
    assert [d["name"] for d in definitions_in(answer)] == ["seasonal_promotion"]


def test_legacy_category_and_copy_code_button_are_accepted(schemas: SchemaSet) -> None:
    definition = {
        "name": "legacy_alert",
        "language": "en",
        "category": "ALERT_UPDATE",
        "components": [
            {"type": "BODY", "text": "Use code below"},
            {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "SAVE10"}]},
        ],
    }
    schemas.validate(SCHEMA, definition)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        pytest.param({"name": "Hello World"}, "$.name", id="name-with-capitals"),
        pytest.param({"language": "english"}, "$.language", id="language-not-a-code"),
        pytest.param({"status": "LIVE"}, "$.status", id="unknown-status"),
        pytest.param({"components": [{"type": "FOOTER", "text": "x"}]}, "$.components", id="no-body"),
    ],
)
def test_malformed_definition_is_rejected_with_1009(schemas: SchemaSet, change: dict[str, Any], path: str) -> None:
    definition = {**FIXTURES[0], **change}
    with refused(Reason.INVALID_PARAMETER) as caught:
        schemas.validate(SCHEMA, definition)
    assert caught.value.details.startswith(path)


def test_header_text_with_two_placeholders_is_rejected(schemas: SchemaSet) -> None:
    definition = copy.deepcopy(FIXTURES[0])
    definition["components"][0]["text"] = "Hi {{1}} and {{2}}"
    with refused(Reason.INVALID_PARAMETER, "at most one placeholder"):
        schemas.validate(SCHEMA, definition)


def test_definition_without_category_is_rejected_with_1008(schemas: SchemaSet) -> None:
    definition = {k: v for k, v in FIXTURES[0].items() if k != "category"}
    with refused(Reason.MISSING_PARAMETER):
        schemas.validate(SCHEMA, definition)


# --- the registry --------------------------------------------------------------------------------


def test_load_fixtures_puts_every_fixture_in_the_store_by_name_and_language(
    registry: TemplateRegistry,
) -> None:
    assert [(d["name"], d["language"]) for d in registry.list()] == [(d["name"], d["language"]) for d in FIXTURES]
    assert registry.store.get(TENANT, KIND, "upcoming_trip_reminder:en") is not None


def test_add_fills_namespace_status_and_a_stable_id(registry: TemplateRegistry) -> None:
    added = registry.add(
        {
            "name": "ping",
            "language": "en",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "pong"}],
        }
    )
    assert added["namespace"] == DEFAULT_NAMESPACE
    assert added["status"] == "APPROVED"
    assert added["id"].isdigit() and len(added["id"]) == 16
    assert registry.get("ping", "en") == added


def test_add_replaces_the_same_name_and_language_keeping_its_id_and_place(registry: TemplateRegistry) -> None:
    before = registry.get("hello_world", "en_US")
    assert before is not None
    replaced = registry.add({**FIXTURES[0], "components": [{"type": "BODY", "text": "Hi {{1}}"}]})
    assert replaced["id"] == before["id"]
    assert len(registry.list()) == len(FIXTURES)
    assert registry.list()[0]["components"] == [{"type": "BODY", "text": "Hi {{1}}"}]
    assert registry.hydrate(send("hello_world", "en_US", body(text("Ana"))))["body"] == "Hi Ana"


def test_add_keeps_other_translations(registry: TemplateRegistry) -> None:
    registry.add(
        {
            "name": "order_confirmation",
            "language": "es",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hola"}],
        }
    )
    languages = [d["language"] for d in registry.list() if d["name"] == "order_confirmation"]
    assert languages == ["en_US", "pt_BR", "es"]


def test_load_fixtures_restores_the_fixture_state(registry: TemplateRegistry) -> None:
    registry.add(
        {
            "name": "ping",
            "language": "en",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "pong"}],
        }
    )
    registry.add({**FIXTURES[0], "status": "PAUSED"})
    registry.load_fixtures()
    assert registry.get("ping", "en") is None
    assert [d["status"] for d in registry.list()] == ["APPROVED"] * len(FIXTURES)


def test_registries_of_two_tenants_do_not_share_definitions() -> None:
    store = MemoryStore()
    first = TemplateRegistry(store, "a", FIXTURES, DEFAULT_NAMESPACE)
    second = TemplateRegistry(store, "b", [], "other_namespace")
    first.load_fixtures()
    second.load_fixtures()
    assert second.list() == []
    assert len(first.list()) == len(FIXTURES)


def test_definitions_in_takes_one_a_list_or_meta_data_answer() -> None:
    one = FIXTURES[0]
    assert definitions_in(one) == [one]
    assert definitions_in([one, one]) == [one, one]
    assert definitions_in({"data": [one], "paging": {}}) == [one]


# --- hydration: what the user sees ---------------------------------------------------------------


def test_seed_trip_reminder_hydrates_to_the_text_the_user_sees(registry: TemplateRegistry) -> None:
    assert registry.hydrate(TRIP_REMINDER) == {
        "name": "upcoming_trip_reminder",
        "language": "en",
        "namespace": DEFAULT_NAMESPACE,
        "category": "UTILITY",
        "header": {"format": "TEXT", "text": "Your trip on 12/26"},
        "body": "Hi! This is a reminder that your *Ski Trip* starts on 29th July 2019, 8:00am at "
        "*Squaw Valley Ski Resort, Tahoe*. Are you still coming?",
        "footer": None,
        "buttons": [
            {"index": 0, "type": "QUICK_REPLY", "text": "Yes", "payload": "Yes-Button-Payload"},
            {"index": 1, "type": "QUICK_REPLY", "text": "No", "payload": "No-Button-Payload"},
        ],
    }


def test_seed_shipment_update_hydrates_image_header_and_tracking_url(registry: TemplateRegistry) -> None:
    hydrated = registry.hydrate(SHIPMENT_UPDATE)
    assert hydrated["header"] == {"format": "IMAGE", "image": {"link": "link-to-your-image"}}
    assert hydrated["body"] == (
        "Hi Anand, your Quest order 113-0921387 has shipped and should arrive by 23rd Nov 2019. "
        "Track it with the button below, or call us with any questions."
    )
    assert hydrated["buttons"] == [
        {
            "index": 0,
            "type": "URL",
            "text": "Track shipment",
            "url": "https://shipping.example.com/track/1Z999AA10123456784",
        },
        {"index": 1, "type": "PHONE_NUMBER", "text": "Call support", "phone_number": "+15550100001"},
    ]


def test_hello_world_needs_no_components(registry: TemplateRegistry) -> None:
    hydrated = registry.hydrate({"name": "hello_world", "language": {"policy": "deterministic", "code": "en_US"}})
    assert hydrated["header"] == {"format": "TEXT", "text": "Hello World"}
    assert hydrated["body"].startswith("Welcome and congratulations!!")
    assert hydrated["footer"] == "WhatsApp Business Platform sample message"
    assert hydrated["buttons"] == []


def test_currency_and_date_time_parameters_hydrate_by_fallback_value(registry: TemplateRegistry) -> None:
    currency = {
        "type": "currency",
        "currency": {"fallback_value": "$42.50", "code": "USD", "amount_1000": 42500},
    }
    date_time = {"type": "date_time", "date_time": {"fallback_value": "Friday, June 14"}}
    hydrated = registry.hydrate(order(body(text("Maria"), text("#10341"), currency, date_time)))
    assert (
        hydrated["body"]
        == "Hi Maria, thanks for your order #10341! We charged $42.50 and will deliver it on Friday, June 14."
    )


def test_the_translation_named_by_the_language_code_is_used(registry: TemplateRegistry) -> None:
    hydrated = registry.hydrate(send("order_confirmation", "pt_BR", ORDER_BODY))
    assert hydrated["body"].startswith("Olá Maria, obrigado pelo seu pedido #10341!")
    assert hydrated["footer"] == "Dúvidas? É só responder esta mensagem."


def test_component_types_and_sub_types_match_in_any_letter_case(registry: TemplateRegistry) -> None:
    template = copy.deepcopy(TRIP_REMINDER)
    for component, kind in zip(template["components"], ["HEADER", "Body", "BUTTON", "button"], strict=True):
        component["type"] = kind
    template["components"][2]["sub_type"] = "QUICK_REPLY"
    assert registry.hydrate(template)["buttons"][0]["payload"] == "Yes-Button-Payload"


def test_button_index_may_be_an_int_or_a_numeric_string(registry: TemplateRegistry) -> None:
    for index in (1, "1"):
        template = send(
            "spring_sale",
            "en_US",
            *_spring_sale(),
            button("quick_reply", index, {"type": "payload", "payload": "no"}),
        )
        assert registry.hydrate(template)["buttons"][1]["payload"] == "no"


def test_quick_reply_without_a_payload_parameter_hydrates_payload_none(registry: TemplateRegistry) -> None:
    hydrated = registry.hydrate(send("spring_sale", "en_US", *_spring_sale()))
    assert [b["payload"] for b in hydrated["buttons"]] == [None, None]
    assert hydrated["footer"] == "Reply STOP to unsubscribe"


def test_copy_code_button_hydrates_its_coupon_code(registry: TemplateRegistry) -> None:
    coupon = button("copy_code", 0, {"type": "coupon_code", "coupon_code": "SPRING15"})
    hydrated = registry.hydrate(send("coupon_offer", "en_US", body(text("15%")), coupon))
    assert hydrated["buttons"] == [
        {"index": 0, "type": "COPY_CODE", "text": "Copy offer code", "coupon_code": "SPRING15"},
        {"index": 1, "type": "URL", "text": "Shop now", "url": "https://shop.example.com"},
    ]


def test_authentication_code_fills_the_body_and_the_copy_code_url(registry: TemplateRegistry) -> None:
    hydrated = registry.hydrate(
        send("verification_code", "en_US", body(text("483920")), button("url", 0, text("483920")))
    )
    assert hydrated["category"] == "AUTHENTICATION"
    assert hydrated["body"].startswith("*483920* is your verification code.")
    assert hydrated["buttons"][0]["url"].endswith("&code=otp483920")


def test_document_header_hydrates_the_media_object_as_sent(registry: TemplateRegistry) -> None:
    document = {"type": "document", "document": {"id": "f0c1", "filename": "INV-10341.pdf"}}
    template = send("invoice_ready", "en_US", {"type": "header", "parameters": [document]}, ORDER_BODY)
    assert registry.hydrate(template)["header"] == {
        "format": "DOCUMENT",
        "document": {"id": "f0c1", "filename": "INV-10341.pdf"},
    }


def test_namespace_may_be_left_out(registry: TemplateRegistry) -> None:
    template = {k: v for k, v in TRIP_REMINDER.items() if k != "namespace"}
    assert registry.hydrate(template)["namespace"] == DEFAULT_NAMESPACE


def test_a_definition_with_its_own_namespace_takes_sends_naming_it(registry: TemplateRegistry) -> None:
    registry.add(
        {
            "name": "ping",
            "language": "en",
            "category": "UTILITY",
            "namespace": "abc_123",
            "components": [{"type": "BODY", "text": "pong"}],
        }
    )
    assert registry.hydrate(send("ping", "en", namespace="abc_123"))["body"] == "pong"


def _spring_sale() -> list[dict[str, Any]]:
    image = {
        "type": "header",
        "parameters": [{"type": "image", "image": {"link": "https://media.example.com/sale.png"}}],
    }
    return [image, body(text("Maria"), text("25%"))]


# --- hydration: refusals -------------------------------------------------------------------------


def test_unknown_template_name_is_rejected_with_2001(registry: TemplateRegistry) -> None:
    rejected(registry, send("no_such_template"), 2001, "$.template.name")


def test_language_without_a_translation_is_rejected_with_2001(registry: TemplateRegistry) -> None:
    details = rejected(registry, send("hello_world", "en"), 2001, "$.template.language.code")
    assert "en_US" in details


@pytest.mark.parametrize(
    ("status", "code"),
    [("PENDING", 2001), ("REJECTED", 2060), ("PAUSED", 2061), ("DISABLED", 2062), ("IN_APPEAL", 2001)],
)
def test_template_not_approved_is_rejected_with_its_status_code(
    registry: TemplateRegistry, status: str, code: int
) -> None:
    registry.add({**FIXTURES[0], "status": status})
    rejected(registry, send("hello_world"), code, "$.template.name")


def test_carousel_template_is_rejected_with_2001_as_cloud_api_only(registry: TemplateRegistry) -> None:
    registry.add(
        {
            "name": "carousel",
            "language": "en",
            "category": "MARKETING",
            "components": [{"type": "BODY", "text": "See"}, {"type": "CAROUSEL", "cards": []}],
        }
    )
    rejected(registry, send("carousel", "en"), 2001)


def test_namespace_of_another_account_is_rejected_with_1009(registry: TemplateRegistry) -> None:
    rejected(registry, {**TRIP_REMINDER, "namespace": "someone_elses_namespace"}, 1009, "$.template.namespace")


def test_empty_namespace_is_rejected_with_2014(registry: TemplateRegistry) -> None:
    rejected(registry, {**TRIP_REMINDER, "namespace": ""}, 2014, "$.template.namespace")


def test_body_with_too_few_parameters_is_rejected_with_2000(registry: TemplateRegistry) -> None:
    details = rejected(registry, order(body(text("Maria"))), 2000, "$.template.components[0].parameters")
    assert "4 parameter(s), 1 given" in details


def test_body_with_too_many_parameters_is_rejected_with_2000(registry: TemplateRegistry) -> None:
    rejected(
        registry,
        send("hello_world", "en_US", body(text("extra"))),
        2000,
        "$.template.components[0].parameters",
    )


def test_body_with_placeholders_but_no_body_component_is_rejected_with_2000(
    registry: TemplateRegistry,
) -> None:
    rejected(registry, order(), 2000, "$.template.components")


def test_header_parameter_for_a_template_without_header_is_rejected_with_2000(
    registry: TemplateRegistry,
) -> None:
    header = {"type": "header", "parameters": [text("Hi")]}
    rejected(registry, order(header, ORDER_BODY), 2000, "$.template.components[0].parameters")


def test_text_header_without_its_parameter_is_rejected_with_2000(registry: TemplateRegistry) -> None:
    template = copy.deepcopy(TRIP_REMINDER)
    del template["components"][0]
    rejected(registry, template, 2000, "$.template.components")


def test_image_header_not_sent_is_rejected_with_2000(registry: TemplateRegistry) -> None:
    rejected(registry, send("spring_sale", "en_US", _spring_sale()[1]), 2000, "$.template.components")


def test_text_parameter_for_an_image_header_is_rejected_with_2012(registry: TemplateRegistry) -> None:
    template = send("spring_sale", "en_US", {"type": "header", "parameters": [text("sale.png")]}, _spring_sale()[1])
    rejected(registry, template, 2012, "$.template.components[0].parameters[0]")


def test_document_parameter_for_an_image_header_is_rejected_with_2012(registry: TemplateRegistry) -> None:
    document = {"type": "document", "document": {"link": "https://media.example.com/a.pdf"}}
    template = send("spring_sale", "en_US", {"type": "header", "parameters": [document]}, _spring_sale()[1])
    rejected(registry, template, 2012)


def test_image_parameter_for_a_text_header_is_rejected_with_2012(registry: TemplateRegistry) -> None:
    template = copy.deepcopy(TRIP_REMINDER)
    template["components"][0]["parameters"] = [{"type": "image", "image": {"link": "https://x.example/a.png"}}]
    rejected(registry, template, 2012, "$.template.components[0].parameters[0]")


def test_image_parameter_in_the_body_is_rejected_with_2012(registry: TemplateRegistry) -> None:
    image = {"type": "image", "image": {"link": "https://x.example/a.png"}}
    rejected(
        registry,
        order(body(text("a"), text("b"), image, text("d"))),
        2012,
        "$.template.components[0].parameters[2]",
    )


def test_quick_reply_index_the_template_lacks_is_rejected_with_2013(registry: TemplateRegistry) -> None:
    template = copy.deepcopy(TRIP_REMINDER)
    template["components"].append(button("quick_reply", 2, {"type": "payload", "payload": "Maybe"}))
    rejected(registry, template, 2013, "$.template.components[4].index")


def test_button_for_a_template_without_buttons_is_rejected_with_2013(registry: TemplateRegistry) -> None:
    rejected(registry, send("hello_world", "en_US", button("quick_reply", 0)), 2013)


def test_url_sub_type_on_a_quick_reply_button_is_rejected_with_2013(registry: TemplateRegistry) -> None:
    template = copy.deepcopy(TRIP_REMINDER)
    template["components"][2]["sub_type"] = "url"
    rejected(registry, template, 2013, "$.template.components[2].sub_type")


def test_quick_reply_sub_type_on_a_url_button_is_rejected_with_2013(registry: TemplateRegistry) -> None:
    template = copy.deepcopy(SHIPMENT_UPDATE)
    template["components"][2]["sub_type"] = "quick_reply"
    rejected(registry, template, 2013)


def test_any_sub_type_on_a_phone_number_button_is_rejected_with_2013(registry: TemplateRegistry) -> None:
    template = copy.deepcopy(SHIPMENT_UPDATE)
    template["components"].append(button("url", 1, text("x")))
    rejected(registry, template, 2013, "$.template.components[3].sub_type")


def test_parameter_for_a_static_url_button_is_rejected_with_2013(registry: TemplateRegistry) -> None:
    rejected(
        registry,
        order(ORDER_BODY, button("url", 0, text("10341"))),
        2013,
        "$.template.components[1].parameters",
    )


def test_dynamic_url_button_without_its_parameter_is_rejected_with_2000(registry: TemplateRegistry) -> None:
    template = copy.deepcopy(SHIPMENT_UPDATE)
    del template["components"][2]
    rejected(registry, template, 2000, "$.template.components")


def test_dynamic_url_button_with_two_parameters_is_rejected_with_2000(registry: TemplateRegistry) -> None:
    template = copy.deepcopy(SHIPMENT_UPDATE)
    template["components"][2]["parameters"].append(text("extra"))
    rejected(registry, template, 2000, "$.template.components[2].parameters")


def test_copy_code_button_without_its_coupon_code_is_rejected_with_2000(registry: TemplateRegistry) -> None:
    rejected(registry, send("coupon_offer", "en_US", body(text("15%"))), 2000)


def test_quick_reply_parameter_that_is_not_a_payload_is_rejected_with_2012(
    registry: TemplateRegistry,
) -> None:
    template = copy.deepcopy(TRIP_REMINDER)
    template["components"][2]["parameters"] = [text("Yes")]
    rejected(registry, template, 2012, "$.template.components[2].parameters[0]")


def test_header_parameter_over_60_characters_is_rejected_with_2004(registry: TemplateRegistry) -> None:
    template = copy.deepcopy(TRIP_REMINDER)
    template["components"][0]["parameters"] = [text("x" * 61)]
    rejected(registry, template, 2004, "$.template.components[0].parameters[0]")
    template["components"][0]["parameters"] = [text("x" * 60)]
    registry.hydrate(template)


def test_body_parameter_over_1024_characters_is_rejected_with_2004_when_other_components_exist(
    registry: TemplateRegistry,
) -> None:
    rejected(registry, order(body(text("x" * 1025), text("b"), text("c"), text("d"))), 2004)


def test_body_only_template_takes_body_parameters_up_to_32768_characters(registry: TemplateRegistry) -> None:
    registry.add(
        {
            "name": "note",
            "language": "en",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "{{1}}"}],
        }
    )
    assert len(registry.hydrate(send("note", "en", body(text("x" * 32768))))["body"]) == 32768
    rejected(registry, send("note", "en", body(text("x" * 32769))), 2004)


def test_hydrated_body_over_1024_characters_is_rejected_with_2005(registry: TemplateRegistry) -> None:
    long = text("x" * 500)
    rejected(registry, order(body(long, long, text("c"), text("d"))), 2005, "$.template.components[0].parameters")


def test_the_same_button_index_twice_is_rejected_with_1009(registry: TemplateRegistry) -> None:
    template = copy.deepcopy(TRIP_REMINDER)
    template["components"][3]["index"] = "0"
    rejected(registry, template, 1009, "$.template.components[3].index")


def test_two_body_components_are_rejected_with_1009(registry: TemplateRegistry) -> None:
    rejected(registry, order(ORDER_BODY, ORDER_BODY), 1009, "$.template.components[1].type")


# --- the deprecated hsm type ---------------------------------------------------------------------


def hsm(element_name: str, *defaults: str, code: str = "en_US", **extra: Any) -> dict[str, Any]:
    return {
        "namespace": DEFAULT_NAMESPACE,
        "element_name": element_name,
        "language": {"policy": "deterministic", "code": code},
        "localizable_params": [{"default": d} for d in defaults],
        **extra,
    }


def test_hsm_localizable_params_fill_the_body_in_order(registry: TemplateRegistry) -> None:
    hydrated = registry.hydrate_hsm(hsm("order_confirmation", "Maria", "#10341", "$10.99", "Friday"))
    assert (
        hydrated["body"] == "Hi Maria, thanks for your order #10341! We charged $10.99 and will deliver it on Friday."
    )
    assert hydrated["buttons"][1] == {
        "index": 1,
        "type": "QUICK_REPLY",
        "text": "Talk to an agent",
        "payload": None,
    }


def test_hsm_with_the_wrong_parameter_count_is_rejected_with_2000(registry: TemplateRegistry) -> None:
    with refused(Reason.TEMPLATE_PARAM_COUNT) as caught:
        registry.hydrate_hsm(hsm("order_confirmation", "Maria"))
    assert caught.value.path == "$.hsm.localizable_params"


def test_hsm_for_a_template_with_an_image_header_is_rejected_with_2000(registry: TemplateRegistry) -> None:
    with refused(Reason.TEMPLATE_PARAM_COUNT):
        registry.hydrate_hsm(hsm("spring_sale", "Maria", "25%"))


def test_hsm_unknown_element_name_is_rejected_with_2001(registry: TemplateRegistry) -> None:
    with refused(Reason.TEMPLATE_MISSING) as caught:
        registry.hydrate_hsm(hsm("no_such_template"))
    assert caught.value.path == "$.hsm.element_name"


def test_hsm_namespace_of_another_account_is_rejected_with_1009(registry: TemplateRegistry) -> None:
    with refused(Reason.INVALID_PARAMETER):
        registry.hydrate_hsm(hsm("hello_world", namespace="someone_elses_namespace"))


def test_otp_button_takes_the_code_through_a_url_button_component(registry: TemplateRegistry) -> None:
    otp = {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]}
    registry.add(
        {
            "name": "otp",
            "language": "en",
            "category": "AUTHENTICATION",
            "components": [{"type": "BODY", "text": "{{1}} is your code."}, otp],
        }
    )
    hydrated = registry.hydrate(send("otp", "en", body(text("123456")), button("url", "0", text("123456"))))
    assert hydrated["buttons"] == [
        {"index": 0, "type": "OTP", "text": "Copy code", "otp_type": "COPY_CODE", "code": "123456"}
    ]
    rejected(registry, send("otp", "en", body(text("123456"))), 2000)


def test_named_placeholders_of_a_pasted_template_fill_in_order_of_appearance(
    registry: TemplateRegistry,
) -> None:
    registry.add(
        {
            "name": "named",
            "language": "en",
            "category": "UTILITY",
            "parameter_format": "NAMED",
            "components": [{"type": "BODY", "text": "Hi {{first_name}}, order {{order_id}} for {{first_name}}"}],
        }
    )
    hydrated = registry.hydrate(send("named", "en", body(text("Ana"), text("42"))))
    assert hydrated["body"] == "Hi Ana, order 42 for Ana"


def test_numbered_placeholders_fill_by_number_not_by_position_in_the_text(registry: TemplateRegistry) -> None:
    registry.add(
        {
            "name": "swapped",
            "language": "en",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "{{2}} then {{1}}"}],
        }
    )
    assert registry.hydrate(send("swapped", "en", body(text("one"), text("two"))))["body"] == "two then one"


def named(name: str, value: str) -> dict[str, Any]:
    """A text parameter of a template with named parameters, as the Cloud API sends it."""
    return {"type": "text", "parameter_name": name, "text": value}


def test_named_parameters_fill_their_placeholders_by_parameter_name_in_any_order(registry: TemplateRegistry) -> None:
    registry.add(
        {
            "name": "pickup",
            "language": "en_US",
            "category": "UTILITY",
            "parameter_format": "NAMED",
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Order {{order_id}}"},
                {"type": "BODY", "text": "Hi {{first_name}}, order {{order_id}} waits at {{store}}."},
            ],
        }
    )
    header = {"type": "header", "parameters": [named("order_id", "#7")]}
    given = body(named("store", "Via Roma 1"), named("first_name", "Ana"), named("order_id", "#7"))
    hydrated = registry.hydrate(send("pickup", "en_US", header, given))
    assert (hydrated["header"]["text"], hydrated["body"]) == ("Order #7", "Hi Ana, order #7 waits at Via Roma 1.")

    unknown = body(named("store", "x"), named("name", "Ana"), named("order_id", "#7"))
    details = rejected(
        registry,
        send("pickup", "en_US", header, unknown),
        2012,
        "$.template.components[1].parameters[1].parameter_name",
    )
    assert "has no parameter 'name' to fill" in details and "(it has first_name, order_id, store)" in details
    twice = body(named("store", "x"), named("store", "y"), named("order_id", "#7"))
    rejected(
        registry, send("pickup", "en_US", header, twice), 2012, "$.template.components[1].parameters[1].parameter_name"
    )
    assert registry.hydrate(send("pickup", "en_US", header, body(text("Ana"), text("#7"), text("Roma"))))["body"] == (
        "Hi Ana, order #7 waits at Roma."  # no parameter_name at all: in order of appearance, as before
    )
