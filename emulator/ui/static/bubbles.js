// One message as a phone shows it: the business's messages on the left, the user's on the right.
//
// A business message is an outbound record (GET /_emulator/messages/{id}: payload as sent, status,
// statuses, errors, hydrated for templates); a user message is an inbound record (its `message` is
// the webhook's message object). `ctx` lets a bubble act as the user and open things:
//   ctx.send(body)          POST /_emulator/users/{wa_id}/messages
//   ctx.openList(record)    the list's sections and rows
//   ctx.askLocation()       the share-location form
//   ctx.react(record)       the emoji to react with
//   ctx.openProducts(record), ctx.openFlow(record)   a product message's cart, a flow's response
//   ctx.find(id)            a record of this conversation (for quoted replies)
//   ctx.reactionTo(id)      the emoji the business's latest reaction put on a message ("" if none)
//   ctx.mediaUrl(id)        an object URL of uploaded media
//
// Records of both APIs look alike: a Cloud API send differs only by Cloud-only shapes
// (text.preview_url, type reaction, interactive cta_url, named template parameters, already hydrated).

import { append, button, el } from "./dom.js";
import { clockTime, formatted } from "./format.js";
import { icon } from "./icons.js";

const MEDIA = ["image", "video", "audio", "voice", "document", "sticker"];
const SHOPS = { product: "View", product_list: "View items", catalog_message: "View catalog" };
const MEDIA_LABELS = { image: "Photo", video: "Video", audio: "Audio", voice: "Voice message", document: "Document", sticker: "Sticker" };

/** The row of one record: its bubble, and the reply buttons or failure note under it. */
export function messageRow(record, ctx) {
  const fromBusiness = record.direction === "outbound";
  const row = el("div", `row ${fromBusiness ? "from-business" : "from-user"}`);
  row.dataset.id = record.id;
  row.dataset.seq = record.seq;
  row.dataset.type = record.type;
  const bubble = el("div", `bubble type-${record.type}`);
  bubble.title = "Show the JSON and its webhooks";
  bubble.addEventListener("click", () => ctx.details(record.id));
  const under = []; // reply buttons, under the bubble
  const actions = []; // a list's button and the like, at the bottom of the bubble, under the time
  if (fromBusiness) append(bubble, businessContent(record, ctx, under, actions));
  else append(bubble, quote(record, ctx), userContent(record, ctx));
  append(bubble, meta(record), actions);
  const reaction = ctx.reactionTo ? ctx.reactionTo(record.id) : "";
  if (reaction) {
    bubble.append(el("span", "reaction-badge", reaction)); // the bot's reaction, as the phone shows it: on the message
    row.classList.add("has-reaction");
  }
  if (record.reaction) under.unshift(el("div", "reaction", record.reaction)); // the user's reaction to the bot's message
  const stack = append(el("div", "stack"), bubble, under); // the buttons as wide as the bubble, and back
  if (fromBusiness && record.type !== "reaction") {
    row.append(append(el("div", "line"), stack, button("react-button", "☺", () => ctx.react(record), "React as the user")));
  } else {
    row.append(stack);
  }
  if (fromBusiness && record.status === "failed") row.append(failure(record));
  return row;
}

/** A line for the sidebar or a quote: what the message says, briefly. */
export function summary(record) {
  if (!record) return "";
  if (record.direction === "outbound") {
    const p = record.payload || {};
    if (record.hydrated) return record.hydrated.body || `Template ${record.hydrated.name}`;
    if (record.type === "text") return p.text.body;
    if (record.type === "reaction") return p.reaction.emoji ? `Reacted ${p.reaction.emoji}` : "Removed a reaction";
    if (record.type === "interactive") {
      const i = p.interactive;
      return (i.body && i.body.text) || (i.header && i.header.text) || `Interactive ${i.type}`;
    }
    return typeSummary(record.type, p[record.type]);
  }
  const m = record.message || {};
  if (record.deleted_at) return "This message was deleted";
  if (m.type === "text") return m.text.body;
  if (m.type === "interactive") return m.interactive.nfm_reply ? "Form sent" : (m.interactive.button_reply || m.interactive.list_reply || {}).title || "";
  if (m.type === "button") return m.button.text || m.button.payload || "";
  if (m.type === "reaction") return m.reaction.emoji ? `Reacted ${m.reaction.emoji}` : "Removed a reaction";
  if (m.type === "order") return `Order: ${m.order.product_items.length} item${m.order.product_items.length === 1 ? "" : "s"}`;
  if (m.type === "system") return m.system.body;
  return typeSummary(m.type, m[m.type]);
}

function typeSummary(type, object) {
  if (MEDIA.includes(type)) return `${MEDIA_LABELS[type]}${object && object.caption ? `: ${object.caption}` : ""}`;
  if (type === "location") return `Location${object && object.name ? `: ${object.name}` : ""}`;
  if (type === "contacts") return `Contact: ${((object || [])[0] || { name: {} }).name.formatted_name || ""}`;
  return `${type} message`;
}

// -- the business's messages -------------------------------------------------------------------

function businessContent(record, ctx, under, actions) {
  const p = record.payload || {};
  if (record.hydrated) return template(record, ctx, under);
  switch (record.type) {
    case "text":
      return text(p.text);
    case "reaction":
      return reactionNote(p.reaction, ctx);
    case "location":
      return location(p.location);
    case "contacts":
      return contacts(p.contacts);
    case "interactive":
      return interactive(record, ctx, under, actions);
    default:
      if (MEDIA.includes(record.type)) return media(record.type, p[record.type], ctx);
      return el("pre", "raw", JSON.stringify(p, null, 2));
  }
}

function interactive(record, ctx, under, actions) {
  const i = record.payload.interactive;
  const parts = [header(i.header, ctx), i.body && formatted("div", "text", i.body.text)];
  if (i.footer) parts.push(el("div", "footer", i.footer.text));
  const action = i.action || {};
  if (i.type === "button") {
    const buttons = el("div", "reply-buttons");
    for (const b of action.buttons || []) {
      const tap = () => ctx.send({ type: "interactive", context: { id: record.id }, interactive: { type: "button_reply", button_reply: { id: b.reply.id } } });
      append(buttons, append(button("reply-button", "", tap, `Tap as the user (id ${b.reply.id})`), icon("reply"), el("span", "", b.reply.title)));
    }
    under.push(buttons);
  } else if (i.type === "list") {
    actions.push(append(button("bubble-action list-button", "", () => ctx.openList(record), "Open the list"), icon("list"), el("span", "", action.button)));
  } else if (i.type === "location_request_message") {
    actions.push(button("bubble-action", "Send location", () => ctx.askLocation()));
  } else if (i.type === "cta_url") {
    const cta = action.parameters || {};
    const link = append(el("div", "bubble-action link-action"), icon("link"), el("span", "", cta.display_text || "Open"));
    link.title = `${cta.url || ""} (not followed)`;
    actions.push(link);
  } else if (i.type in SHOPS) {
    if (i.type === "product") parts.push(el("div", "product", `Product ${action.product_retailer_id} (catalog ${action.catalog_id})`));
    actions.push(button("bubble-action products-button", SHOPS[i.type], () => ctx.openProducts(record), "Pick products and order"));
  } else if (i.type === "flow") {
    actions.push(button("bubble-action flow-button", (action.parameters || {}).flow_cta || "Open", () => ctx.openFlow(record), "Fill the flow's response"));
  } else {
    const params = action.parameters || {};
    const labels = { voice_call: params.display_text || "Call now", call_permission_request: "Allow calls" };
    const placeholder = el("div", "bubble-action placeholder", labels[i.type] || i.type);
    placeholder.title = `${i.type}: not simulated on this phone`;
    actions.push(placeholder);
  }
  return parts;
}

function text(t) {
  const body = formatted("div", "text", t.body);
  const url = t.preview_url ? (String(t.body).match(/https?:\/\/[^\s<>"]+/) || [])[0] : null;
  if (!url) return body;
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // not a URL a browser can parse: show it as it is
  }
  const card = append(el("div", "link-preview"), el("div", "link-host", host), el("div", "link-url", url));
  card.title = "Link preview (the page is not fetched)";
  return [card, body];
}

function reactionNote(reaction, ctx) {
  const target = ctx.find(reaction.message_id);
  const what = target ? `“${summary(target)}”` : reaction.message_id;
  const note = reaction.emoji ? `Reacted ${reaction.emoji} to ${what}` : `Removed the reaction to ${what}`;
  return el("div", "reaction-note", note);
}

function header(h, ctx) {
  if (!h) return null;
  if (h.type === "text") return el("div", "header", h.text);
  if (h[h.type]) return media(h.type, h[h.type], ctx, { caption: false });
  return null;
}

function template(record, ctx, under) {
  const t = record.hydrated;
  const parts = [el("div", "template-name", `${t.name} · ${t.language}${t.category ? ` · ${t.category.toLowerCase()}` : ""}`)];
  if (t.header) {
    const kind = t.header.format.toLowerCase();
    if (kind === "text") parts.push(el("div", "header", t.header.text));
    else if (kind === "location") parts.push(location(t.header.location || {}));
    else parts.push(media(kind, t.header[kind] || {}, ctx, { caption: false }));
  }
  parts.push(formatted("div", "text", t.body));
  if (t.footer) parts.push(el("div", "footer", t.footer));
  const buttons = el("div", "reply-buttons");
  for (const b of t.buttons || []) buttons.append(templateButton(record, b, ctx));
  if (buttons.childElementCount) under.push(buttons);
  return parts;
}

function templateButton(record, b, ctx) {
  if (b.type === "QUICK_REPLY") {
    // a null payload would match any payload-less button: name this one by its text instead
    const chosen = b.payload != null ? { payload: b.payload } : { text: b.text };
    const tap = () => ctx.send({ type: "button", context: { id: record.id }, button: chosen });
    return append(button("reply-button", "", tap, `Tap as the user (payload ${b.payload})`), icon("reply"), el("span", "", b.text));
  }
  const kinds = { URL: ["link", b.url], PHONE_NUMBER: ["phone", b.phone_number], COPY_CODE: ["copy", b.coupon_code], OTP: ["copy", b.code] };
  const [name, detail] = kinds[b.type] || ["link", b.type];
  const node = append(el("div", "reply-button placeholder"), icon(name), el("span", "", b.text));
  node.title = `${b.type}${detail ? `: ${detail}` : ""} (not followed)`;
  return node;
}

function failure(record) {
  const note = el("div", "failure");
  const errors = record.errors.length ? record.errors : [{ title: "Failed" }];
  for (const e of errors) {
    const line = el("div", "", `Not delivered: ${[e.code, e.title].filter((x) => x != null).join(" ")}`);
    line.title = e.details || "";
    note.append(line);
  }
  return note;
}

// -- the user's messages -----------------------------------------------------------------------

function userContent(record, ctx) {
  const m = record.message || {};
  if (record.deleted_at) return el("div", "text deleted", "This message was deleted");
  switch (m.type) {
    case "text":
      return [m.referral && adCard(m.referral), formatted("div", "text", m.text.body)];
    case "interactive": {
      if (m.interactive.nfm_reply) return flowAnswers(m.interactive.nfm_reply);
      const chosen = m.interactive.button_reply || m.interactive.list_reply;
      return [el("div", "text", chosen.title), chosen.description && el("div", "footer", chosen.description)];
    }
    case "reaction":
      return el("div", "text reaction-note", m.reaction.emoji ? `Reacted ${m.reaction.emoji}` : "Removed a reaction");
    case "order":
      return orderCard(m.order);
    case "system":
      return el("div", "text system", m.system.body);
    case "button":
      return el("div", "text", m.button.text || m.button.payload);
    case "location":
      return location(m.location);
    case "contacts":
      return contacts(m.contacts);
    case "unknown":
      return el("div", "text unsupported", `Unsupported ${(m.unknown && m.unknown.type) || ""} message (arrives with an error: 501, on Cloud 131051)`);
    default:
      if (MEDIA.includes(m.type)) return media(m.type, m[m.type], ctx);
      return el("pre", "raw", JSON.stringify(m, null, 2));
  }
}

function adCard(referral) {
  const card = append(el("div", "ad"), el("div", "ad-label", "From an ad"), referral.headline && el("div", "ad-headline", referral.headline));
  card.title = referral.source_url;
  return card;
}

function orderCard(order) {
  const lines = order.product_items.map((i) => el("div", "order-line", `${i.quantity} × ${i.product_retailer_id} · ${i.item_price} ${i.currency}`));
  const total = order.product_items.reduce((sum, i) => sum + i.quantity * i.item_price, 0);
  const currency = (order.product_items[0] || {}).currency || "";
  return [append(el("div", "order"), el("div", "order-title", "Order"), lines, el("div", "order-total", `Total ${total.toFixed(2)} ${currency}`)), order.text && el("div", "text", order.text)];
}

function flowAnswers(reply) {
  let answers = {};
  try {
    answers = JSON.parse(reply.response_json);
  } catch (error) {
    answers = { response_json: reply.response_json };
  }
  const lines = Object.entries(answers).filter(([key]) => key !== "flow_token").map(([key, value]) => el("div", "flow-line", `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`));
  return append(el("div", "flow-answers"), el("div", "text", reply.body), lines);
}

function quote(record, ctx) {
  const id = record.message && record.message.context && record.message.context.id;
  if (!id) return null;
  const quoted = ctx.find(id);
  const box = append(el("div", "quote"), el("div", "quote-who", "Business"), el("div", "quote-text", quoted ? summary(quoted) : id));
  box.addEventListener("click", (event) => {
    event.stopPropagation();
    const target = document.querySelector(`.row[data-id="${CSS.escape(id)}"]`);
    if (target) target.scrollIntoView({ block: "center", behavior: "smooth" });
  });
  return box;
}

// -- shared pieces -----------------------------------------------------------------------------

function meta(record) {
  const line = append(el("div", "meta"), el("span", "time", clockTime(record.created_at)));
  if (record.direction === "outbound") {
    const status = record.status;
    const name = { accepted: "pending", sent: "sent", delivered: "delivered", read: "delivered", failed: "failed" }[status] || "pending";
    const ticks = icon(name, `ticks status-${status}`);
    ticks.dataset.status = status;
    ticks.title = status;
    line.append(ticks);
  } else {
    const ticks = icon("delivered", `ticks status-${record.read_at ? "read" : "delivered"}`);
    ticks.dataset.status = record.read_at ? "read" : "delivered";
    ticks.title = record.read_at ? "read by the business" : "delivered to the business";
    line.append(ticks);
  }
  return line;
}

function media(kind, object, ctx, { caption = true } = {}) {
  const box = el("div", `media media-${kind}`);
  if (object.id) {
    box.append(el("div", "media-loading", `${MEDIA_LABELS[kind] || kind}…`));
    ctx.mediaUrl(object.id).then(
      (url) => box.replaceChildren(mediaElement(kind, url, object)),
      () => box.replaceChildren(placeholder(kind, `media ${object.id} is gone`)),
    );
  } else {
    box.append(placeholder(kind, object.link || ""));
  }
  const parts = [box];
  if (caption && object.caption) parts.push(formatted("div", "text caption", object.caption));
  return parts;
}

function mediaElement(kind, url, object) {
  if (kind === "image" || kind === "sticker") {
    const img = el("img");
    img.src = url;
    img.alt = object.caption || MEDIA_LABELS[kind];
    return img;
  }
  if (kind === "video" || kind === "audio" || kind === "voice") {
    const player = el(kind === "video" ? "video" : "audio");
    player.controls = true;
    player.src = url;
    return player;
  }
  const link = append(el("a", "document"), icon("document"), el("span", "", object.filename || "Document"));
  link.href = url;
  link.download = object.filename || "document";
  link.addEventListener("click", (event) => event.stopPropagation());
  return link;
}

function placeholder(kind, detail) {
  const box = append(el("div", "media-placeholder"), el("div", "media-kind", MEDIA_LABELS[kind] || kind));
  if (detail) box.append(el("div", "media-link", detail));
  box.title = "Media by link: shown as a placeholder, not fetched";
  return box;
}

function location(loc) {
  const card = el("div", "location");
  append(card, append(el("div", "map"), icon("pin")));
  if (loc.name) card.append(el("div", "loc-name", loc.name));
  if (loc.address) card.append(el("div", "loc-address", loc.address));
  card.append(el("div", "loc-coords", `${loc.latitude}, ${loc.longitude}`));
  return card;
}

function contacts(list) {
  return (list || []).map((c) => {
    const card = el("div", "contact");
    const name = (c.name && c.name.formatted_name) || "Contact";
    append(card, el("div", "contact-name", name));
    for (const phone of c.phones || []) card.append(el("div", "contact-line", `${phone.type ? `${phone.type.toLowerCase()}: ` : ""}${phone.phone || phone.wa_id}`));
    for (const email of c.emails || []) card.append(el("div", "contact-line", email.email));
    if (c.org && c.org.company) card.append(el("div", "contact-line", c.org.company));
    return card;
  });
}
