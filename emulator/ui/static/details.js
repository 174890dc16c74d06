// The details of one bubble: the exact JSON sent or received, its statuses, and its webhook deliveries.

import { append, button, el } from "./dom.js";
import { dateTime } from "./format.js";

/** True if a delivery (GET /_emulator/webhooks) carries this message or one of its statuses. */
export function concerns(delivery, messageId) {
  const content = delivery.content || {};
  return [...(content.messages || []), ...(content.statuses || [])].some((item) => item.id === messageId);
}

/** Fill `panel` with the details of `record`; `deliveries` are those that concern it, oldest first. */
export function renderDetails(panel, record, deliveries, onClose) {
  const fromBusiness = record.direction === "outbound";
  const head = append(
    el("header", "details-head"),
    el("h2", "", fromBusiness ? "Sent by the bot" : "Sent by the user"),
    button("close", "×", onClose, "Close"),
  );
  const parts = [head, el("div", "details-id", `${record.type} · ${record.id}`)];
  if (fromBusiness) {
    const call = record.api === "cloud" ? `Cloud API: POST /${record.api_version ? `${record.api_version}/` : ""}{phone_number_id}/messages` : "POST /v1/messages";
    parts.push(section(`Request body (${call})`, json(record.payload)));
    parts.push(section("Statuses", statuses(record)));
  } else {
    parts.push(section("Message as delivered in the webhook", json(record.message)));
    if (record.read_at) parts.push(el("p", "muted", `Marked as read by the bot at ${dateTime(record.read_at)}`));
  }
  const hooks = deliveries.map(delivery);
  if (!hooks.length) hooks.push(el("p", "muted", "No webhook for it (yet)."));
  parts.push(section(`Webhook deliveries (${deliveries.length})`, hooks));
  const whole = append(el("details", "whole"), el("summary", "", "Whole record"), json(record));
  parts.push(whole);
  panel.replaceChildren(...parts);
}

function section(title, content) {
  return append(el("section", "details-section"), el("h3", "", title), content);
}

function json(value) {
  return el("pre", "json", JSON.stringify(value, null, 2));
}

function statuses(record) {
  if (!record.statuses.length) return el("p", "muted", record.status);
  const table = el("table", "attempts");
  for (const s of record.statuses) {
    const errors = (s.errors || []).map((e) => `${e.code} ${e.title}`).join("; ");
    const row = append(el("tr", `status-${s.status}`), el("td", "", s.status), el("td", "", dateTime(s.timestamp)), el("td", "", errors));
    table.append(row);
  }
  return table;
}

function delivery(d) {
  const card = el("div", `delivery state-${d.state}`);
  card.dataset.delivery = d.id;
  const what = d.content.statuses ? `status ${d.content.statuses.map((s) => s.status).join(", ")}` : "message";
  append(
    card,
    append(el("div", "delivery-head"), el("span", "delivery-state", d.state), el("span", "", ` #${d.id} · ${what}`)),
    el("div", "delivery-url", d.url || "no webhook URL set yet"),
  );
  const table = el("table", "attempts");
  for (const a of d.attempts) {
    const result = a.error || (a.status_code != null ? `HTTP ${a.status_code}` : "");
    const outcome = a.verification ? `verification GET: ${result}` : result;
    table.append(append(el("tr", ""), el("td", "", dateTime(a.at)), el("td", "", outcome), el("td", "", `${a.duration_ms ?? "–"} ms`)));
  }
  if (d.attempts.length) card.append(table);
  else card.append(el("div", "muted", "not attempted yet"));
  if (d.error) card.append(el("div", "failure-text", d.error));
  card.append(append(el("details", ""), el("summary", "", "Payload"), json(d.payload || d.content)));
  return card;
}
