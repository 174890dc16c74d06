// Bottom sheets, as the phone shows them: a list's sections and rows, and the share-location and
// share-contact forms. Each one ends by calling `send` with a message in the inbound vocabulary.

import { append, button, el } from "./dom.js";

/** A bottom sheet with a title, content and one action button; `onAction` returning false keeps it open. */
export function sheet(title, content, actionLabel, onAction) {
  const dialog = el("dialog", "sheet");
  const action = button("sheet-send", actionLabel, () => {
    if (onAction() !== false) dialog.close();
  });
  append(
    dialog,
    append(el("header", "sheet-head"), button("close", "×", () => dialog.close(), "Close"), el("h2", "", title)),
    append(el("div", "sheet-body"), content),
    append(el("footer", "sheet-foot"), action),
  );
  dialog.addEventListener("close", () => dialog.remove());
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close(); // a click on the backdrop
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, action };
}

/** The list of an interactive list message: pick a row, then Send (a list_reply with its id). */
export function openList(record, send) {
  const i = record.payload.interactive;
  const rows = [];
  const body = el("div", "list-sections");
  for (const section of i.action.sections) {
    if (section.title) body.append(el("div", "list-section-title", section.title));
    for (const row of section.rows) {
      const item = append(el("label", "list-row"), append(el("span", "list-row-text"), el("span", "list-row-title", row.title), row.description && el("span", "list-row-description", row.description)));
      const radio = el("input");
      radio.type = "radio";
      radio.name = "list-row";
      radio.value = row.id;
      item.append(radio);
      body.append(item);
      rows.push(radio);
    }
  }
  const { action } = sheet(i.action.button, body, "Send", () => {
    const picked = rows.find((r) => r.checked);
    send({ type: "interactive", context: { id: record.id }, interactive: { type: "list_reply", list_reply: { id: picked.value } } });
  });
  action.disabled = true;
  body.addEventListener("change", () => (action.disabled = !rows.some((r) => r.checked)));
}

/** A labelled input of a form in a sheet. */
export function field(label, name, value, type = "text") {
  const input = el("input");
  input.name = name;
  input.type = type;
  input.value = value;
  if (type === "number") input.step = "any";
  return { row: append(el("label", "field"), el("span", "", label), input), input };
}

/** Share a location: coordinates, and optionally a name and an address. */
export function askLocation(send) {
  const fields = [
    field("Latitude", "latitude", "40.7829", "number"),
    field("Longitude", "longitude", "-73.9654", "number"),
    field("Name", "name", "Central Park"),
    field("Address", "address", "New York, NY"),
  ];
  const form = append(el("div", "form"), fields.map((f) => f.row));
  sheet("Share location", form, "Send", () => {
    const [lat, lon, name, address] = fields.map((f) => f.input.value.trim());
    const loc = { latitude: Number(lat), longitude: Number(lon) };
    if (name) loc.name = name;
    if (address) loc.address = address;
    send({ type: "location", location: loc });
  });
}

/** Share a contact card. */
export function askContact(send) {
  const fields = [field("Name", "name", "John Smith"), field("Phone", "phone", "+1 631 555 1234", "tel")];
  const form = append(el("div", "form"), fields.map((f) => f.row));
  sheet("Share contact", form, "Send", () => {
    const [name, phone] = fields.map((f) => f.input.value.trim());
    const first = name.split(/\s+/)[0];
    send({ type: "contacts", contacts: [{ name: { formatted_name: name, first_name: first }, phones: [{ phone, type: "CELL" }] }] });
  });
}
