// Text helpers: HTML escaping, WhatsApp's formatting markers, times and durations.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe to put into HTML. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

// *bold*, _italic_, ~strike~: a marker opens after a non-word character (or the start), closes
// before one (or the end), and the text between neither starts nor ends with a space, as WhatsApp does.
const INLINE = [
  ["\\*", "strong"],
  ["_", "em"],
  ["~", "s"],
].map(([mark, tag]) => [
  new RegExp(`(^|[^\\p{L}\\p{N}])${mark}(?!\\s)([^\\n]*?[^\\s])${mark}(?![\\p{L}\\p{N}])`, "gu"),
  `$1<${tag}>$2</${tag}>`,
]);

function inline(escaped) {
  return INLINE.reduce((html, [pattern, replacement]) => html.replace(pattern, replacement), escaped);
}

/**
 * WhatsApp-formatted text as HTML. The text is escaped first, so only the tags added here
 * (strong, em, s, code) can appear: a "<script>" in a message is shown as text.
 */
export function formatWhatsApp(text) {
  const pieces = String(text ?? "").split("```");
  let html = "";
  pieces.forEach((piece, i) => {
    const monospace = i % 2 === 1 && i < pieces.length - 1; // between an opening and a closing ```
    if (monospace) html += `<code>${escapeHtml(piece)}</code>`;
    else html += (i % 2 === 1 ? "```" : "") + inline(escapeHtml(piece));
  });
  return html;
}

/** An element whose content is WhatsApp-formatted text. */
export function formatted(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  node.innerHTML = formatWhatsApp(text); // safe: formatWhatsApp escapes before it adds its own tags
  return node;
}

const pad = (n) => String(n).padStart(2, "0");

/** "14:05" for a Unix time, in the browser's time zone (as the phone shows it). */
export function clockTime(unix) {
  const d = new Date(unix * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "2026-01-01 14:05:09" for a Unix time, in the browser's time zone. */
export function dateTime(unix) {
  const d = new Date(unix * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clockTime(unix)}:${pad(d.getSeconds())}`;
}

/** "23:59:59" for a number of seconds (hours may pass 24). */
export function countdown(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** "3 d 2 h", "24 h 0 min", "5 h 10 min", "42 s": a duration, roughly (hours up to a day, as the window counts). */
export function roughDuration(seconds) {
  const s = Math.round(Math.abs(seconds));
  if (s > 86400) return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min`;
  return `${s} s`;
}
