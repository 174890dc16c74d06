// One entry of the sidebar: a user, their latest message and their 24-hour window.

import { summary } from "./bubbles.js";
import { append, avatar, el } from "./dom.js";
import { clockTime, roughDuration } from "./format.js";
import { icon } from "./icons.js";

/** The sidebar entry of a chat ({wa_id, user, window, last}); `onSelect(wa_id)` opens it. */
export function chatItem(chat, selected, onSelect) {
  const user = chat.user || { name: chat.wa_id };
  const item = el("li", "chat-item");
  item.dataset.waId = chat.wa_id;
  item.setAttribute("aria-selected", String(chat.wa_id === selected));
  item.addEventListener("click", () => onSelect(chat.wa_id));
  const last = chat.last;
  const preview = el("div", "chat-preview");
  if (last && last.direction === "outbound") {
    const name = { accepted: "pending", failed: "failed", sent: "sent" }[last.status] || "delivered";
    preview.append(icon(name, `ticks status-${last.status}`));
  }
  preview.append(el("span", "", last ? summary(last) : user.wa_id));
  append(
    item,
    avatar(user.name, chat.wa_id),
    append(
      el("div", "chat-main"),
      append(el("div", "chat-top"), el("span", "chat-name", user.name), el("span", "chat-time", last ? clockTime(last.created_at) : "")),
      append(el("div", "chat-bottom"), preview, windowBadge(chat)),
    ),
  );
  return item;
}

/** The window's badge; its text is redrawn every second from `data-expires` (see app.js `tick`). */
function windowBadge(chat) {
  const badge = el("span", "window-badge");
  badge.dataset.expires = (chat.window && chat.window.expires_at) || "";
  return badge;
}

/** What is special about a simulated user, in a few words each. */
export function traits(user) {
  const found = [];
  if (user.status === "invalid") found.push("no WhatsApp");
  if (user.incapable) found.push("receiver incapable");
  if ((user.unsupported_types || []).length) found.push(`cannot show ${user.unsupported_types.join(", ")}`);
  if (user.online === false) found.push("phone offline");
  if (user.read_receipts === false) found.push("read receipts off");
  if (user.delivery_delay_s) found.push(`delivers after ${roughDuration(user.delivery_delay_s)}`);
  if (user.read_delay_s) found.push(`reads after ${roughDuration(user.read_delay_s)}`);
  return found;
}
