// The request log: every call to /v1 and the Cloud API (GET /_emulator/requests, live as `request`
// events), refused ones in red with their error; an entry's details show the body and the answer.

import * as api from "./api.js";
import { append, button, el } from "./dom.js";
import { clockTime, dateTime } from "./format.js";

const SIZE = 300; // entries the tab keeps
const $ = (id) => document.getElementById(id);

/** The Requests tab: its entries, newest first, the one selected, and how many refused ones are unseen. */
export class RequestLog {
  constructor(onSelect) {
    this.onSelect = onSelect; // (entry) => show its details
    this.entries = new Map(); // id -> journal entry
    this.selected = null;
    this.visible = false;
    this.seenRefused = 0;
  }

  async load() {
    const body = await api.control(`requests?limit=${SIZE}`);
    this.entries = new Map(body.requests.map((entry) => [entry.id, entry]));
    this.render();
  }

  add(entry) {
    this.entries.set(entry.id, entry);
    for (const id of [...this.entries.keys()].slice(0, Math.max(0, this.entries.size - SIZE))) this.entries.delete(id);
    const list = $("requests");
    list.prepend(this.item(entry));
    while (list.children.length > SIZE) list.lastChild.remove();
    this.renderHeader();
  }

  clear() {
    this.entries = new Map();
    this.seenRefused = 0;
    this.render();
  }

  select(id) {
    this.selected = id;
    for (const item of document.querySelectorAll(".request-item")) item.setAttribute("aria-selected", String(Number(item.dataset.id) === id));
  }

  showTab(tab) {
    this.visible = tab === "requests";
    for (const tabButton of document.querySelectorAll(".tabs button")) tabButton.setAttribute("aria-selected", String(tabButton.dataset.tab === tab));
    $("chats-pane").hidden = this.visible;
    $("requests-pane").hidden = !this.visible;
    this.renderHeader();
  }

  item(entry) {
    return requestItem(entry, this.selected, (id) => this.onSelect(this.entries.get(id)));
  }

  render() {
    const newestFirst = [...this.entries.values()].sort((a, b) => b.id - a.id);
    $("requests").replaceChildren(...newestFirst.map((entry) => this.item(entry)));
    this.renderHeader();
  }

  /** The empty note, and the count of refused requests not yet seen in the tab. */
  renderHeader() {
    $("requests-empty").hidden = this.entries.size > 0;
    const refused = [...this.entries.values()].filter((entry) => entry.status >= 400).length;
    if (this.visible) this.seenRefused = refused;
    const badge = $("refused-count");
    badge.hidden = refused <= this.seenRefused;
    badge.textContent = String(refused - this.seenRefused);
    badge.title = "refused requests not seen yet";
  }
}

/** One line of the log; `onSelect(id)` shows its details. */
function requestItem(entry, selected, onSelect) {
  const refused = entry.status >= 400;
  const item = el("li", `request-item${refused ? " refused" : ""}`);
  item.dataset.id = entry.id;
  item.setAttribute("aria-selected", String(entry.id === selected));
  item.addEventListener("click", () => onSelect(entry.id));
  const error = entry.error ? `${entry.error.code} ${entry.error.title}` : entry.message_id ? "message accepted" : "";
  append(
    item,
    append(
      el("div", "request-top"),
      el("span", "request-method", entry.method),
      el("span", "request-path", entry.path),
      el("span", "request-status", String(entry.status)),
    ),
    append(el("div", "request-bottom"), el("span", "request-error", error), el("span", "chat-time", clockTime(entry.at))),
  );
  return item;
}

/** Fill `panel` with one entry: what was asked, what was answered, and why it was refused. */
export function renderRequestDetails(panel, entry, onClose) {
  const api = entry.api === "cloud" ? "Cloud API" : "On-Premises API";
  const parts = [
    append(el("header", "details-head"), el("h2", "", `${entry.method} ${entry.path}`), button("close", "×", onClose, "Close")),
    el("div", "details-id", `${api} · #${entry.id} · ${dateTime(entry.at)} · ${entry.duration_ms} ms · ${entry.owner || "no valid credentials"}`),
  ];
  if (entry.error) {
    const error = entry.error;
    parts.push(append(el("section", "details-section request-refusal"), el("h3", "", `Refused: HTTP ${entry.status}`), el("p", "failure-text", `${error.code} ${error.title}`), el("p", "", error.details || "")));
  } else {
    parts.push(el("p", "request-accepted", `HTTP ${entry.status}${entry.message_id ? ` · message ${entry.message_id}` : ""}`));
  }
  const query = entry.query ? `?${entry.query}` : "";
  parts.push(section(`Request body${query ? ` (${entry.path}${query})` : ""}`, body(entry.request)));
  parts.push(section("Answer", body(entry.response)));
  panel.replaceChildren(...parts);
}

function section(title, content) {
  return append(el("section", "details-section"), el("h3", "", title), content);
}

/** A body as the journal kept it: JSON indented when it parses, a note for binary or cut bodies. */
function body(kept) {
  if (!kept.size) return el("p", "muted", "empty");
  if (kept.body === null) return el("p", "muted", `${kept.size} bytes of ${kept.content_type || "binary data"}`);
  let text = kept.body;
  try {
    text = JSON.stringify(JSON.parse(kept.body), null, 2);
  } catch {
    // not JSON (or cut short): shown as it came
  }
  const parts = [el("pre", "json", text)];
  if (kept.truncated) parts.push(el("p", "muted", `first ${kept.body.length} of ${kept.size} bytes (--journal-body-bytes)`));
  return parts;
}
