// Inline SVG icons (constants: no data is ever put into them).

const svg = (viewBox, body, className) =>
  `<svg class="icon ${className}" viewBox="${viewBox}" aria-hidden="true" focusable="false">${body}</svg>`;

const stroke = 'fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"';

export const ICONS = {
  pending: svg("0 0 16 16", `<circle cx="8" cy="8" r="6" ${stroke}/><path d="M8 4.5V8l2.5 1.5" ${stroke}/>`, "tick"),
  sent: svg("0 0 18 12", `<path d="M2.5 6.5l3.2 3.2L13 2.5" ${stroke}/>`, "tick"),
  delivered: svg("0 0 18 12", `<path d="M1 6.5l3.2 3.2L11.5 2.5M7.2 9.7L16.5 2.5" ${stroke}/>`, "tick"),
  failed: svg("0 0 16 16", `<circle cx="8" cy="8" r="6.5" fill="currentColor"/><path d="M8 4.5v4.2M8 11v.4" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/>`, "tick"),
  reply: svg("0 0 16 16", `<path d="M6.5 3.5L2.5 7.5l4 4M2.5 7.5H10a4 4 0 014 4v1" ${stroke}/>`, "inline"),
  list: svg("0 0 16 16", `<path d="M5.5 4h8M5.5 8h8M5.5 12h8" ${stroke}/><circle cx="2.5" cy="4" r=".9" fill="currentColor"/><circle cx="2.5" cy="8" r=".9" fill="currentColor"/><circle cx="2.5" cy="12" r=".9" fill="currentColor"/>`, "inline"),
  link: svg("0 0 16 16", `<path d="M9 3h4v4M13 3L7 9M11.5 9.5v3a1 1 0 01-1 1h-7a1 1 0 01-1-1v-7a1 1 0 011-1h3" ${stroke}/>`, "inline"),
  phone: svg("0 0 16 16", `<path d="M4 2.5l2 3-1.3 1.3a8 8 0 004.5 4.5L10.5 10l3 2-1 2c-5.5 0-10-4.5-10-10z" ${stroke}/>`, "inline"),
  copy: svg("0 0 16 16", `<rect x="5" y="5" width="8.5" height="8.5" rx="1.5" ${stroke}/><path d="M3 10.5V3.5A1 1 0 014 2.5h6.5" ${stroke}/>`, "inline"),
  pin: svg("0 0 24 24", `<path d="M12 22s7-6.2 7-12a7 7 0 10-14 0c0 5.8 7 12 7 12z" fill="#e53935"/><circle cx="12" cy="10" r="2.6" fill="#fff"/>`, "pin"),
  send: svg("0 0 24 24", `<path d="M3.4 20.4l17.4-7.5a1 1 0 000-1.8L3.4 3.6a.9.9 0 00-1.3 1L3.9 11l9.1 1-9.1 1-1.8 6.4a.9.9 0 001.3 1z" fill="currentColor"/>`, "send"),
  attach: svg("0 0 24 24", `<path d="M16.5 6.5l-8 8a2.1 2.1 0 003 3l8.5-8.5a4.2 4.2 0 00-6-6L5.5 11.5a6.4 6.4 0 009 9l7-7" ${stroke}/>`, "attach"),
  info: svg("0 0 16 16", `<circle cx="8" cy="8" r="6.5" ${stroke}/><path d="M8 7.2V11.5M8 4.8v.3" ${stroke}/>`, "inline"),
  download: svg("0 0 16 16", `<path d="M8 2.5v8M4.5 7.5L8 11l3.5-3.5M3 13.5h10" ${stroke}/>`, "inline"),
  document: svg("0 0 24 24", `<path d="M6 2.5h8l5 5v13a1 1 0 01-1 1H6a1 1 0 01-1-1v-17a1 1 0 011-1z" fill="#e3e6e8"/><path d="M14 2.5v5h5" fill="#c5cacd"/>`, "doc"),
};

/** A span holding an icon. */
export function icon(name, className = "") {
  const span = document.createElement("span");
  span.className = `icon-wrap ${className}`.trim();
  span.innerHTML = ICONS[name];
  return span;
}
