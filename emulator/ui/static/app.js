// The page: a sidebar of simulated users, one conversation as the user's phone shows it, and the
// details of a bubble. Data comes from the control API; changes arrive live from /_emulator/events.
// The open chat is in the address (#15550001111), so a reload or a link opens it again.

import * as api from "./api.js";
import { messageRow } from "./bubbles.js";
import { setUpComposer, setUpToolbar } from "./controls.js";
import { concerns, renderDetails } from "./details.js";
import { avatar, el } from "./dom.js";
import { countdown, dateTime, roughDuration } from "./format.js";
import { openFlow, openProducts, openReactions } from "./actions.js";
import { RequestLog, renderRequestDetails } from "./requests.js";
import { askLocation, openList } from "./sheets.js";
import { chatItem, traits } from "./sidebar.js";
import { renderFaults, setUpTenants } from "./tenancy.js";

const $ = (id) => document.getElementById(id);

const state = {
  chats: new Map(), // wa_id -> {wa_id, user, window, last}
  selected: null, // wa_id of the open chat
  records: new Map(), // id -> record of the open chat (outbound and inbound)
  deliveries: new Map(), // id -> webhook delivery to the open chat's user
  details: null, // id of the record whose details are shown
  clock: { now: Date.now() / 1000, frozen: false, at: Date.now() },
};

/** The emulator's time now (its clock moves with real time unless frozen). */
function emuNow() {
  const c = state.clock;
  return c.frozen ? c.now : c.now + (Date.now() - c.at) / 1000;
}

/** How far a record or delivery has come: a newer copy wins over an older one, whatever order they arrive in. */
function progress(doc) {
  if (doc.attempts) return doc.attempts.length * 2 + (doc.state === "pending" ? 0 : 1);
  return doc.direction === "outbound" ? doc.statuses.length : doc.read_at ? 1 : 0;
}

/** Documents loaded by id, merged with those that arrived live meanwhile (the newer copy of each wins). */
function merge(loaded, live) {
  const merged = new Map();
  for (const doc of loaded) {
    const seen = live.get(doc.id);
    merged.set(doc.id, seen && progress(seen) > progress(doc) ? seen : doc);
  }
  for (const [id, doc] of live) if (!merged.has(id)) merged.set(id, doc);
  return merged;
}

const chatOf = (record) => (record.direction === "outbound" ? record.to : record.from);

// -- loading ------------------------------------------------------------------------------------

async function loadChats() {
  const body = await api.control("ui/chats");
  state.chats = new Map(body.chats.map((c) => [c.wa_id, c]));
  renderChats();
  renderHeader();
}

async function loadConversation() {
  const waId = state.selected;
  if (!waId) return;
  const [conversation, hooks] = await Promise.all([
    api.control(`conversations/${waId}`),
    api.control(`webhooks?recipient=${waId}`),
  ]);
  if (state.selected !== waId) return; // another chat was opened meanwhile
  state.records = merge(conversation.messages, state.records);
  state.deliveries = merge(hooks.webhooks, state.deliveries);
  const chat = state.chats.get(waId) || { wa_id: waId, last: null };
  state.chats.set(waId, { ...chat, user: conversation.user, window: conversation.window });
  renderChatsSoon(); // a number opened by its address may be new to the sidebar
  renderConversation();
}

const log = new RequestLog((entry) => showRequest(entry));

async function reloadAll() {
  try {
    await loadChats();
    await Promise.all([loadConversation(), log.load()]);
    await renderFaults($("faults"), toast);
    return true;
  } catch (error) {
    toast(error.message);
    return false;
  }
}

let chatsReload = null;
/** Reload the sidebar soon (at most once per burst of changes): windows and new users come from there. */
function reloadChatsSoon() {
  clearTimeout(chatsReload);
  chatsReload = setTimeout(() => loadChats().catch((error) => toast(error.message)), 150);
}

// -- live events --------------------------------------------------------------------------------

function connect() {
  const source = new EventSource(api.eventsUrl());
  const on = (name, handle) => source.addEventListener(name, (event) => handle(JSON.parse(event.data)));
  source.addEventListener("open", async () => {
    // (re)connected: load again whatever happened while away; live once the page is in step
    if (await reloadAll()) setLive("live");
  });
  source.addEventListener("error", () => setLive(source.readyState === EventSource.CLOSED ? "offline" : "connecting"));
  on("clock", onClock);
  on("message", onRecord);
  on("inbound", onRecord);
  on("webhook", onDelivery);
  on("faults", () => renderFaults($("faults"), toast).catch((error) => toast(error.message)));
  on("deleted", () => {
    setLive("offline");
    toast("This tenant was deleted (DELETE /_emulator/tenants/…)");
    source.close();
  });
  on("request", (entry) => log.add(entry));
  on("reset", () => {
    api.forgetMedia();
    state.records = new Map();
    state.deliveries = new Map();
    log.clear();
    closeDetails();
    reloadAll(); // the clock comes back as an event of its own
  });
}

function setLive(mode) {
  const badge = $("live");
  badge.dataset.state = mode;
  badge.title = { live: "Live: changes appear as they happen", connecting: "Reconnecting…", offline: "Not connected" }[mode];
}

function onClock(clock) {
  state.clock = { now: clock.now, frozen: clock.frozen, at: Date.now(), offset: clock.offset };
  tick();
}

function onRecord(record) {
  const waId = chatOf(record);
  const chat = state.chats.get(waId);
  if (!chat) {
    reloadChatsSoon(); // a user the sidebar does not know yet
  } else {
    if (!chat.last || chat.last.id === record.id || record.seq > chat.last.seq) chat.last = record;
    if (record.direction === "inbound") reloadChatsSoon(); // the user's window moved
    renderChatsSoon();
  }
  if (waId !== state.selected) return;
  const known = state.records.get(record.id);
  if (known && progress(known) > progress(record)) return;
  state.records.set(record.id, record);
  renderRecord(record);
  if (state.details === record.id) showDetails(record.id);
}

function onDelivery(delivery) {
  if (delivery.recipient !== state.selected) return;
  state.deliveries.set(delivery.id, delivery);
  if (state.details && concerns(delivery, state.details)) showDetails(state.details);
}

// -- the request log ----------------------------------------------------------------------------

function showRequest(entry) {
  if (!entry) return; // dropped from the log meanwhile
  closeDetails();
  log.select(entry.id);
  const panel = $("details");
  renderRequestDetails(panel, entry, closeDetails);
  panel.hidden = false;
}

// -- the sidebar --------------------------------------------------------------------------------

let chatsFrame = 0;
/** Redraw the sidebar once per frame at most, however many changes arrive. */
function renderChatsSoon() {
  if (!chatsFrame) chatsFrame = requestAnimationFrame(renderChats);
}

function renderChats() {
  cancelAnimationFrame(chatsFrame);
  chatsFrame = 0;
  const entries = [...state.chats.values()].sort((a, b) => (b.last ? b.last.seq : 0) - (a.last ? a.last.seq : 0));
  $("chats").replaceChildren(...entries.map((chat) => chatItem(chat, state.selected, select)));
  tick();
}

// -- the open chat ------------------------------------------------------------------------------

function select(waId) {
  if (state.selected === waId) return;
  state.selected = waId;
  state.records = new Map();
  state.deliveries = new Map();
  closeDetails();
  if (window.location.hash !== `#${waId}`) history.replaceState(null, "", `#${waId}`);
  for (const item of document.querySelectorAll(".chat-item")) item.setAttribute("aria-selected", String(item.dataset.waId === waId));
  renderConversation();
  loadConversation().catch((error) => toast(error.message));
}

const ctx = {
  send: sendAsUser,
  openList: (record) => openList(record, sendAsUser),
  askLocation: () => askLocation(sendAsUser),
  react: (record) => openReactions(record, sendAsUser),
  openProducts: (record) => openProducts(record, sendAsUser),
  openFlow: (record) => openFlow(record, sendAsUser, toast),
  details: (id) => showDetails(id),
  find: (id) => state.records.get(id),
  reactionTo,
  mediaUrl: (id) => api.mediaUrl(id),
};

/** The emoji of the business's latest reaction to a message ("" if none, or if it was removed). */
function reactionTo(id) {
  let latest = null;
  for (const r of state.records.values()) {
    const reaction = r.type === "reaction" && r.direction === "outbound" && r.status !== "failed" ? r.payload.reaction : null;
    if (reaction && reaction.message_id === id && (!latest || r.seq > latest.seq)) latest = r;
  }
  return latest ? latest.payload.reaction.emoji || "" : "";
}

function renderConversation() {
  const open = Boolean(state.selected);
  $("empty").hidden = open;
  $("conversation").hidden = !open;
  if (!open) return;
  renderHeader();
  const records = [...state.records.values()].sort((a, b) => a.seq - b.seq);
  $("messages").replaceChildren(...records.map((r) => messageRow(r, ctx)));
  scrollToEnd(true);
}

function renderHeader() {
  const chat = state.chats.get(state.selected);
  if (!chat) return;
  const user = chat.user || { name: chat.wa_id };
  $("chat-avatar").replaceWith(Object.assign(avatar(user.name, chat.wa_id), { id: "chat-avatar" }));
  $("chat-name").textContent = user.name;
  $("chat-number").textContent = `+${chat.wa_id}`;
  $("chat-traits").replaceChildren(...traits(user).map((t) => el("span", "trait", t)));
  const script = $("script-link");
  script.href = api.controlUrl(`conversations/${chat.wa_id}?format=script`);
  script.download = `conversation-${chat.wa_id}`;
  tick();
}

function renderRecord(record) {
  const container = $("messages");
  const row = messageRow(record, ctx);
  const old = container.querySelector(`.row[data-id="${CSS.escape(record.id)}"]`);
  const reacted = record.type === "reaction" && record.direction === "outbound" && state.records.get(record.payload.reaction.message_id);
  if (reacted) renderRecord(reacted); // its badge changes with the reaction
  if (old) {
    old.replaceWith(row);
    return;
  }
  const nearEnd = container.scrollHeight - container.scrollTop - container.clientHeight < 120;
  const after = [...container.children].find((r) => Number(r.dataset.seq) > record.seq);
  container.insertBefore(row, after || null);
  if (nearEnd || record.direction === "inbound") scrollToEnd(false);
}

function scrollToEnd(instant) {
  const container = $("messages");
  container.scrollTo({ top: container.scrollHeight, behavior: instant ? "instant" : "smooth" });
}

async function sendAsUser(body) {
  try {
    await api.control(`users/${state.selected}/messages`, { method: "POST", body });
    return true;
  } catch (error) {
    toast(error.message);
    return false;
  }
}

// -- details ------------------------------------------------------------------------------------

function showDetails(id) {
  const record = state.records.get(id);
  if (!record) return;
  closeDetails(); // a request's details, perhaps
  state.details = id;
  const deliveries = [...state.deliveries.values()].filter((d) => concerns(d, id)).sort((a, b) => Number(a.id) - Number(b.id));
  const panel = $("details");
  renderDetails(panel, record, deliveries, closeDetails);
  panel.hidden = false;
  for (const row of document.querySelectorAll(".row.selected")) row.classList.remove("selected");
  const row = document.querySelector(`.row[data-id="${CSS.escape(id)}"]`);
  if (row) row.classList.add("selected");
}

function closeDetails() {
  state.details = null;
  log.select(null);
  $("details").hidden = true;
  for (const row of document.querySelectorAll(".row.selected")) row.classList.remove("selected");
}

// -- the clock and the windows: redrawn every second --------------------------------------------

function tick() {
  const now = emuNow();
  $("clock").textContent = dateTime(now);
  const offset = state.clock.offset || 0;
  $("clock-offset").textContent = Math.abs(offset) >= 1 ? `${offset > 0 ? "+" : "−"}${roughDuration(offset)}${state.clock.frozen ? " · frozen" : ""}` : state.clock.frozen ? "frozen" : "";
  for (const badge of document.querySelectorAll(".window-badge")) {
    const left = badge.dataset.expires ? Number(badge.dataset.expires) - now : 0;
    badge.classList.toggle("open", left > 0);
    badge.textContent = left > 0 ? roughDuration(left) : "closed";
    badge.title = left > 0 ? "24-hour window open: free-form messages reach the user" : "24-hour window closed: only templates reach the user";
  }
  const chat = state.chats.get(state.selected);
  if (!chat) return;
  const expires = chat.window && chat.window.expires_at;
  const left = expires ? expires - now : 0;
  const label = $("window");
  label.dataset.open = String(left > 0);
  label.textContent = left > 0 ? `Window open · ${countdown(left)} left` : "Window closed · only templates reach the user";
}

let toastTimer = null;
function toast(message) {
  const box = $("toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.hidden = true), 6000);
}

function closeChat() {
  state.selected = null;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  closeDetails();
  renderChats();
  renderConversation();
}

function start() {
  const page = {
    send: sendAsUser,
    selected: () => state.selected,
    toast,
    onClock,
    openChat: async (waId) => {
      await loadChats();
      select(waId);
    },
    closeChat,
  };
  setUpToolbar(page);
  setUpComposer(page);
  setUpTenants($("tenant"), toast);
  for (const button of document.querySelectorAll(".tabs button")) button.addEventListener("click", () => log.showTab(button.dataset.tab));
  const hash = decodeURIComponent(window.location.hash.slice(1));
  if (hash) state.selected = hash;
  renderConversation();
  setInterval(tick, 1000);
  window.addEventListener("hashchange", () => {
    const waId = decodeURIComponent(window.location.hash.slice(1));
    if (waId) select(waId);
  });
  connect();
}

start();
