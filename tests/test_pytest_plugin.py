"""The pytest plugin: the ``wa_emulator`` fixture as a bot developer uses it, against the example bot.

The plugin is installed with the package (entry point ``pytest11``), so these tests ask for the
fixture exactly as another project's tests would.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulator.replay.testing import WaEmulator
from tests.payloads import FLOW, SHOP
from tests.process import running_process
from tests.replay_bots import ECHO_BOT, ROOT

pytest_plugins = ["pytester"]

ORDER = ROOT / "fixtures" / "conversations" / "order_pizza.yaml"


@pytest.fixture(scope="module")
def bot(wa_emulator_url: str) -> Iterator[None]:
    """The example bot, pointed at the plugin's emulator (it registers its own webhook there)."""
    argv = [sys.executable, str(ECHO_BOT), "--api", wa_emulator_url, "--port", "0"]
    with running_process(argv, r"bot listening on (http://\S+)") as process:
        try:
            yield
        finally:
            print("--- bot output ---", *process.output, sep="\n")


def test_a_whole_conversation_with_the_helpers(bot: None, wa_emulator: WaEmulator) -> None:
    user = wa_emulator.user("15550001111")
    user.send_text("hi")
    welcome = user.expect(type="interactive", buttons=["menu", "help"], timeout=5)
    assert welcome.text == "Hi Alice Martin! What would you like to do?"

    user.tap(welcome, "menu")
    menu = user.expect(type="interactive", rows=["pizza", "pasta", "salad"])
    user.select(menu, "Pasta al pomodoro")
    order = user.expect(type="template", template={"name": "order_confirmation"})
    assert order.template == "order_confirmation" and order.failed is None

    user.quick_reply(order, "Talk to an agent")
    user.expect(type="text", text=r"re:^Thanks, agent:#PASTA-\d+ noted$")

    before = wa_emulator.clock.now()
    assert wa_emulator.clock.advance(hours=25) >= before + 25 * 3600
    user.share_location(52.52, 13.405)
    assert user.expect(type="text").text == "You are at 52.52, 13.405"
    assert len(user.messages()) == 5


def test_the_rest_of_a_user_s_vocabulary_with_the_helpers(bot: None, wa_emulator: WaEmulator) -> None:
    user = wa_emulator.user("15550004444")
    user.arrive_from_ad("hello", "https://fb.me/pizza", "ad-1", headline="2 for 1")
    user.expect(type="text", text="You said: hello")
    with httpx.Client(base_url=wa_emulator.url) as api:  # the test plays the business here
        token = api.post("/v1/users/login", auth=("admin", "secret")).json()["users"][0]["token"]
        for interactive in (SHOP, FLOW):
            body = {"to": user.wa_id, "type": "interactive", "interactive": interactive}
            assert api.post("/v1/messages", json=body, headers={"Authorization": f"Bearer {token}"}).is_success
    shop, flow = user.expect(type="interactive"), user.expect(type="interactive")
    asked = user.ask_about("diavola", "Is it spicy?")
    assert asked["context"]["referred_product"] == {"catalog_id": "cat-1", "product_retailer_id": "diavola"}
    user.expect(type="text", text="You said: Is it spicy?")
    ordered = user.order([{"product_retailer_id": "diavola", "quantity": 2, "item_price": 9.5, "currency": "EUR"}])
    assert ordered["context"]["id"] == shop.id
    user.expect(type="text", text="re:^Sorry, I cannot read order messages yet")
    assert user.react(None, "👍")["reaction"]["emoji"] == "👍"  # on the bot's latest message
    user.expect(type="text", text="re:^Sorry, I cannot read reaction messages yet")
    done = user.complete_flow(flow, {"party": "4"})
    assert json.loads(done["interactive"]["nfm_reply"]["response_json"]) == {"flow_token": "t-1", "party": "4"}
    user.delete(ordered)
    moved = user.change_number("15550004445")
    moved.send_text("hi")
    moved.expect(type="interactive", buttons=["menu", "help"])


def test_each_test_starts_from_a_reset_emulator(bot: None, wa_emulator: WaEmulator) -> None:
    # runs after the test above, which left five messages and a clock a day ahead
    assert wa_emulator.user("15550001111").messages() == []
    assert wa_emulator.session.call("GET", "/_emulator/clock")["offset"] == 0


def test_a_failed_expectation_says_what_was_expected_and_what_the_bot_sent(bot: None, wa_emulator: WaEmulator) -> None:
    user = wa_emulator.user("15550002222")
    user.send_text("hello")
    with pytest.raises(AssertionError) as caught:
        user.expect(type="interactive", buttons=["menu", "help"])
    assert str(caught.value).splitlines() == [
        "15550002222: expected the bot's next message: interactive buttons [menu, help]",
        f'the bot sent: text "You said: hello"  [{user.messages()[-1].id}]',
        "  type",
        '    - "interactive"',
        '    + "text"',
        "  buttons",
        '    - ["menu", "help"]',
        "    + (none: the bot sent text)",
    ]


def test_a_tap_on_a_missing_button_fails_like_an_assertion(bot: None, wa_emulator: WaEmulator) -> None:
    user = wa_emulator.user()
    user.send_text("hi")
    welcome = user.expect(type="interactive")
    with pytest.raises(
        AssertionError, match=r"the message has no reply button with id 'yes' \(it has 'menu', 'help'\)"
    ):
        user.tap(welcome, "yes")


def test_run_script_replays_a_fixture_and_fails_with_the_diff(
    bot: None, wa_emulator: WaEmulator, tmp_path: Path
) -> None:
    wa_emulator.run_script(ORDER)

    changed = tmp_path / "changed.yaml"
    changed.write_text("steps:\n  - text: hello\n  - expect: {type: text, text: 'You said: goodbye'}\n")
    with pytest.raises(AssertionError) as caught:
        wa_emulator.run_script(changed)
    report = str(caught.value)
    assert report.startswith(f'{changed}:3: step 2 (expect text "You said: goodbye") failed\n')
    assert '    - "You said: goodbye"\n    + "You said: hello"\n' in report
    assert '\n\nsteps:\n  ok     1  text "hello"' in report


def test_the_plugin_in_another_project_reads_its_options_and_reports_like_pytest(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwa_emulator_port = 0\n")
    pytester.makepyfile(
        test_bot=textwrap.dedent(
            """
            import httpx

            def test_expect_names_the_difference(wa_emulator):
                user = wa_emulator.user("15550003333")
                user.send_text("hi")
                with httpx.Client(base_url=wa_emulator.url) as api:  # the test plays the bot here
                    token = api.post("/v1/users/login", auth=("admin", "secret")).json()["users"][0]["token"]
                    body = {"to": "15550003333", "type": "text", "text": {"body": "Hello!"}}
                    api.post("/v1/messages", json=body, headers={"Authorization": "Bearer " + token})
                user.expect(type="text", text="Hi!")

            def test_nothing_sent(wa_emulator):
                wa_emulator.user().expect(timeout=0.2)

            def test_no_emulator_needed():
                pass
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--wa-emulator-port", "0")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            'E*AssertionError: 15550003333: expected the bot\'s next message: text "Hi!"',
            'E*the bot sent: text "Hello!"  *',
            "E*  text",
            'E*    - "Hi!"',
            'E*    + "Hello!"',
            "E*AssertionError: 15550001111: expected the bot's next message: a message",
            "E*the bot sent nothing within 0.2 s",
        ]
    )


def test_under_xdist_each_worker_gets_a_tenant_of_its_own_on_one_emulator(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = "\n".join(f"def test_{n}(wa_emulator):\n    check(wa_emulator, {n})\n" for n in range(4))
    pytester.makepyfile(
        test_workers=textwrap.dedent(
            """
            import os, pathlib

            def check(wa_emulator, n):
                assert wa_emulator.tenant == os.environ["PYTEST_XDIST_WORKER"]
                assert wa_emulator.url == wa_emulator.root + "/t/" + wa_emulator.tenant
                user = wa_emulator.user("15550003333")
                user.send_text(f"{wa_emulator.tenant}-{n}")
                talk = wa_emulator.session.call("GET", "/_emulator/conversations/15550003333")["messages"]
                assert [m["message"]["text"]["body"] for m in talk] == [f"{wa_emulator.tenant}-{n}"]
                assert len(wa_emulator.phone_number_id) == 15
                assert wa_emulator.credentials["access_token"] == "wa-emulator-token"
                out = pathlib.Path(os.environ["WA_TEST_OUT"]) / f"{wa_emulator.tenant}-{n}"
                out.write_text(wa_emulator.root)
            """
        )
        + checks
    )
    monkeypatch.setenv("WA_TEST_OUT", str(tmp_path))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=4)
    written = {p.name.split("-")[0]: p.read_text() for p in tmp_path.iterdir()}
    assert set(written) == {"gw0", "gw1"}
    assert len(set(written.values())) == 1  # one emulator for both workers


def test_drain_fails_when_the_bot_did_not_get_its_webhooks(bot: None, wa_emulator: WaEmulator) -> None:
    user = wa_emulator.user("15550001111")
    user.send_text("hi")
    user.expect(type="interactive")
    wa_emulator.drain()  # the bot is up: every webhook reached it
    settings = httpx.Client(base_url=wa_emulator.url)
    login = settings.post("/v1/users/login", auth=("admin", "secret")).json()
    settings.headers["Authorization"] = "Bearer " + login["users"][0]["token"]
    hooks = settings.get("/v1/settings/application").json()["settings"]["application"]["webhooks"]
    try:
        settings.patch("/v1/settings/application", json={"webhooks": {"url": ""}})
        user.send_text("anyone there?")
        with pytest.raises(AssertionError, match=r"webhooks not delivered: 1 webhook delivery has not reached"):
            wa_emulator.drain()
        wa_emulator.drain(lenient=True)
    finally:
        settings.patch("/v1/settings/application", json={"webhooks": {"url": hooks["url"]}})
        settings.close()
