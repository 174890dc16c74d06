// Small DOM helpers. Text always goes in through textContent; only icons.js and format.js write HTML.

/** A new element with a class and, optionally, text. */
export function el(tag, className = "", text = undefined) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** Append children (nodes, or nothing for null/undefined/false) and answer the parent. */
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) if (child) parent.append(child);
  return parent;
}

/** A button that runs `onClick` without also opening the bubble's details. */
export function button(className, text, onClick, title = "") {
  const node = el("button", className, text);
  node.type = "button";
  if (title) node.title = title;
  node.addEventListener("click", (event) => {
    event.stopPropagation();
    onClick(event);
  });
  return node;
}

/** Initials for an avatar: "Alice Martin" -> "AM". */
export function initials(name) {
  const words = String(name || "?").trim().split(/\s+/);
  return ((words[0] || "?")[0] + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
}

const AVATAR_COLOURS = ["#25d366", "#06cf9c", "#02a698", "#7f66ff", "#ff8a8c", "#ffbc38", "#53bdeb", "#a791ff", "#fd7c51"];

/** A round avatar with initials, its colour fixed by the number. */
export function avatar(name, waId) {
  const node = el("div", "avatar", initials(name));
  const hash = [...String(waId)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 9973, 7);
  node.style.background = AVATAR_COLOURS[hash % AVATAR_COLOURS.length];
  return node;
}
