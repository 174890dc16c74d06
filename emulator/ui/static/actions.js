// What else a person can do as the user, each in a sheet: react to a message, pick products and order
// (or ask about one), fill a flow's response, and write first from a click-to-WhatsApp ad. Each ends
// by calling `send` with a message in the inbound vocabulary (README: Sending as a user).

import { append, button, el } from "./dom.js";
import { field, sheet } from "./sheets.js";

export const EMOJI = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

/** Pick an emoji for a business message (or remove the user's reaction). */
export function openReactions(record, send) {
  const row = el("div", "emoji-row");
  const { dialog, action } = sheet("React", row, "Remove reaction", () => {
    send({ type: "reaction", reaction: { message_id: record.id, emoji: "" } });
  });
  for (const emoji of EMOJI) {
    row.append(button(`emoji${record.reaction === emoji ? " chosen" : ""}`, emoji, () => {
      send({ type: "reaction", reaction: { message_id: record.id, emoji } });
      dialog.close();
    }, `React with ${emoji}`));
  }
  action.hidden = !record.reaction;
}

/** The products a product, product list or catalog message offers (null: the whole catalog). */
function productsOf(interactive) {
  const action = interactive.action || {};
  if (interactive.type === "product") return [action.product_retailer_id];
  if (interactive.type === "product_list") return action.sections.flatMap((s) => s.product_items.map((p) => p.product_retailer_id));
  return null;
}

/** Pick quantities, a price and currency, and order (or ask about one product). */
export function openProducts(record, send) {
  const interactive = record.payload.interactive;
  const listed = productsOf(interactive);
  const form = el("div", "form");
  const catalog = listed ? null : field("Catalog id", "catalog_id", "");
  const lines = (listed || [""]).map((id) => {
    const line = { id, quantity: field(id || "Product id", "quantity", listed ? "0" : "1", "number") };
    if (!listed) line.product = field("Product id", "product_retailer_id", "");
    line.price = field("Price", "item_price", "9.99", "number");
    return line;
  });
  const currency = field("Currency", "currency", "USD");
  const note = field("Note", "text", "");
  append(form, catalog && catalog.row, lines.map((l) => [l.product && l.product.row, l.quantity.row, l.price.row]), currency.row, note.row);
  const title = { product: "View", product_list: "View items", catalog_message: "View catalog" }[interactive.type];
  sheet(title, form, "Place order", () => {
    const items = lines
      .map((l) => ({
        product_retailer_id: l.product ? l.product.input.value.trim() : l.id,
        quantity: Number(l.quantity.input.value),
        item_price: Number(l.price.input.value),
        currency: currency.input.value.trim().toUpperCase(),
      }))
      .filter((item) => item.product_retailer_id && item.quantity > 0);
    if (!items.length) return false;
    const order = { product_items: items };
    if (note.input.value.trim()) order.text = note.input.value.trim();
    if (catalog && catalog.input.value.trim()) order.catalog_id = catalog.input.value.trim();
    send({ type: "order", context: { id: record.id }, order });
  });
}

/** Fill a flow's response as JSON and submit it (the emulator adds the flow_token the bot sent). */
export function openFlow(record, send, toast) {
  const parameters = record.payload.interactive.action.parameters || {};
  const answers = el("textarea", "json-input");
  answers.name = "response_json";
  answers.rows = 6;
  answers.value = '{\n  "answer": ""\n}';
  const hint = el("p", "sheet-hint", `The flow's answers as a JSON object; flow_token ${parameters.flow_token || "unused"} is added.`);
  sheet(parameters.flow_cta || "Flow", append(el("div", "form"), hint, answers), "Submit", () => {
    let response;
    try {
      response = JSON.parse(answers.value);
    } catch (error) {
      toast(`Not JSON: ${error.message}`);
      return false;
    }
    send({ type: "interactive", context: { id: record.id }, interactive: { type: "nfm_reply", nfm_reply: { response_json: response } } });
  });
}

/** Write the first message as if from a click-to-WhatsApp ad: the ad's fields and the text. */
export function askAd(send) {
  const fields = [
    field("Headline", "headline", "Chat with us"),
    field("Ad text", "body", "Summer sale: 20% off"),
    field("Ad URL", "source_url", "https://fb.me/ad"),
    field("Ad id", "source_id", "120226305854810726"),
    field("Message", "text", "Hi! I saw your ad"),
  ];
  sheet("From an ad", append(el("div", "form"), fields.map((f) => f.row)), "Send", () => {
    const [headline, body, source_url, source_id, text] = fields.map((f) => f.input.value.trim());
    if (!text || !source_url || !source_id) return false;
    send({ type: "text", text: { body: text }, referral: { source_url, source_id, source_type: "ad", headline, body } });
  });
}
