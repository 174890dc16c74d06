// The controls: the user's composer (text, photo, location, contact, a message from an ad) and the toolbar (clock, reset,
// new chat). `page` gives what they act on: send(body) as the user, selected(), toast(message),
// onClock(clock), openChat(wa_id) and closeChat().

import * as api from "./api.js";
import { askAd } from "./actions.js";
import { askContact, askLocation } from "./sheets.js";

const $ = (id) => document.getElementById(id);

export function setUpComposer(page) {
  const text = $("composer-text");
  const submit = async () => {
    const body = text.value.trim();
    if (!body || !page.selected()) return;
    if (await page.send({ type: "text", text: { body } })) text.value = "";
    text.focus();
  };
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      submit();
    }
  });
  const menu = $("attach-menu");
  $("attach").addEventListener("click", () => (menu.hidden = !menu.hidden));
  const choose = (handler) => () => {
    menu.hidden = true;
    handler();
  };
  $("attach-photo").addEventListener("click", choose(() => $("photo-input").click()));
  $("attach-location").addEventListener("click", choose(() => askLocation(page.send)));
  $("attach-contact").addEventListener("click", choose(() => askContact(page.send)));
  $("attach-ad").addEventListener("click", choose(() => askAd(page.send)));
  $("photo-input").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    try {
      const id = await api.uploadMedia(file);
      const image = { id };
      if (text.value.trim()) image.caption = text.value.trim();
      if (await page.send({ type: "image", image })) text.value = "";
    } catch (error) {
      page.toast(error.message);
    }
  });
}

export function setUpToolbar(page) {
  // `advance` is seconds or a duration ("90", "30m", "2h", "1d2h", "-5h"): the emulator reads it as scripts do
  const moveClock = async (advance) => {
    try {
      page.onClock(await api.control("clock", { method: "POST", body: { advance } }));
      return true;
    } catch (error) {
      page.toast(error.message);
      return false;
    }
  };
  for (const b of document.querySelectorAll("[data-advance]")) b.addEventListener("click", () => moveClock(Number(b.dataset.advance)));
  $("advance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("advance-input").value.trim().toLowerCase().replace(/\s+/g, "");
    if (!text) page.toast('Move the clock by seconds, or "30m", "2h", "1d2h", "-5h"');
    else moveClock(text).then((moved) => moved && ($("advance-input").value = ""));
  });
  $("reset").addEventListener("click", async () => {
    try {
      await api.control("reset", { method: "POST", body: {} });
    } catch (error) {
      page.toast(error.message);
    }
  });
  $("new-chat").addEventListener("submit", async (event) => {
    event.preventDefault();
    const waId = $("new-chat-number").value.replace(/\D/g, "");
    if (!waId) return;
    try {
      await api.control(`users/${waId}`);
      $("new-chat-number").value = "";
      await page.openChat(waId);
    } catch (error) {
      page.toast(error.message);
    }
  });
  $("close-chat").addEventListener("click", () => page.closeChat());
}
