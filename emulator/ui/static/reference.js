// The API reference: the emulator's OpenAPI 3.1 documents (GET /_emulator/openapi/{api}.json), readable.
// Every operation with its parameters, request body and answers; every schema, with each $ref a link to
// the schema it names. Plain DOM, nothing fetched but the documents. The API shown is in the address
// (#cloud), so a link opens it.

import { append, el } from "./dom.js";

const APIS = ["onprem", "cloud", "control"];
const METHODS = ["get", "post", "put", "patch", "delete"];
const $ = (id) => document.getElementById(id);

async function load(api) {
  const response = await fetch(new URL(`../openapi/${api}.json`, window.location.href));
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${api}.json`);
  return response.json();
}

/** The anchor id of a component: #schema-onprem.messages.text */
const anchor = (name) => `schema-${name}`;

/** A $ref such as "#/components/schemas/onprem.messages.defs/$defs/x" as a link to its component. */
function refLink(ref) {
  const [name, ...rest] = ref.replace("#/components/schemas/", "").split("/");
  const link = el("a", "ref", rest.length ? `${name} › ${rest.slice(1).join(" › ")}` : name);
  link.href = `#${anchor(name)}`;
  link.addEventListener("click", (event) => {
    event.preventDefault();
    const target = document.getElementById(anchor(name));
    if (!target) return;
    target.open = true;
    target.scrollIntoView({ block: "start" });
  });
  return link;
}

/** JSON, indented, with every "$ref" value a link. */
function jsonView(value, indent = "") {
  if (Array.isArray(value)) {
    if (!value.length) return [document.createTextNode("[]")];
    const parts = [document.createTextNode("[\n")];
    value.forEach((item, i) => {
      parts.push(document.createTextNode(`${indent}  `), ...jsonView(item, `${indent}  `));
      parts.push(document.createTextNode(i < value.length - 1 ? ",\n" : "\n"));
    });
    parts.push(document.createTextNode(`${indent}]`));
    return parts;
  }
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (!keys.length) return [document.createTextNode("{}")];
    const parts = [document.createTextNode("{\n")];
    keys.forEach((key, i) => {
      parts.push(el("span", "key", `${indent}  ${JSON.stringify(key)}`), document.createTextNode(": "));
      if (key === "$ref" && typeof value[key] === "string") parts.push(refLink(value[key]));
      else parts.push(...jsonView(value[key], `${indent}  `));
      parts.push(document.createTextNode(i < keys.length - 1 ? ",\n" : "\n"));
    });
    parts.push(document.createTextNode(`${indent}}`));
    return parts;
  }
  return [el("span", `value ${typeof value}`, JSON.stringify(value))];
}

/** A schema shown briefly: a $ref as a link, anything else as its JSON. */
function schemaView(schema) {
  if (schema && schema.$ref && Object.keys(schema).length === 1) return refLink(schema.$ref);
  return append(el("pre", "json"), jsonView(schema));
}

function parameters(list) {
  const table = el("table", "params");
  table.append(append(el("tr", ""), el("th", "", "parameter"), el("th", "", "in"), el("th", "", "schema"), el("th", "", "")));
  for (const p of list) {
    const name = append(el("td", "param-name"), el("code", "", p.name), p.required ? el("span", "required", " required") : null);
    table.append(append(el("tr", ""), name, el("td", "", p.in), append(el("td", ""), append(el("code", ""), jsonView(p.schema))), el("td", "muted", p.description || "")));
  }
  return table;
}

function content(body) {
  return Object.entries(body.content || {}).map(([type, media]) => append(el("div", "content"), el("span", "media-type", type), " ", schemaView(media.schema || {})));
}

function operation(path, method, op) {
  const box = el("details", `operation method-${method}`);
  box.id = op.operationId;
  const security = (op.security || []).map((s) => Object.keys(s).join(" + ") || "none").join(" or ");
  append(
    box,
    append(el("summary", ""), el("span", "method", method.toUpperCase()), el("code", "path", path), el("span", "summary", op.summary || "")),
    op.parameters ? append(el("section", ""), el("h4", "", "Parameters"), parameters(op.parameters)) : null,
    op.requestBody ? append(el("section", ""), el("h4", "", `Request body${op.requestBody.required ? "" : " (optional)"}`), content(op.requestBody)) : null,
    append(
      el("section", ""),
      el("h4", "", "Answers"),
      Object.entries(op.responses).map(([status, answer]) => append(el("div", "answer"), el("span", `status status-${status[0]}`, status), " ", el("span", "muted", answer.description || ""), content(answer))),
    ),
    security ? el("p", "muted", `Auth: ${security}`) : null,
  );
  return box;
}

function component(name, schema) {
  const box = el("details", "component");
  box.id = anchor(name);
  const title = schema.title ? ` — ${schema.title}` : "";
  append(box, append(el("summary", ""), el("code", "", name), el("span", "muted", title)), schemaView(schema));
  return box;
}

function render(doc, api) {
  const sections = [append(el("section", "intro"), el("h1", "", doc.info.title), el("p", "", doc.info.description), el("p", "muted", `OpenAPI ${doc.openapi} · version ${doc.info.version}`))];
  const ops = append(el("section", "operations"), el("h2", "", "Operations"));
  for (const [path, item] of Object.entries(doc.paths)) for (const method of METHODS) if (item[method]) ops.append(operation(path, method, item[method]));
  sections.push(ops);
  if (doc.webhooks) {
    const hooks = append(el("section", "operations"), el("h2", "", "Webhooks the emulator sends"));
    for (const [name, item] of Object.entries(doc.webhooks)) hooks.append(operation(name, "post", item.post));
    sections.push(hooks);
  }
  const schemas = append(el("section", "components"), el("h2", "", "Schemas"), el("p", "muted", "The JSON Schema files the emulator validates with (schemas/ in the repository), as they are."));
  for (const [name, schema] of Object.entries(doc.components.schemas)) schemas.append(component(name, schema));
  sections.push(schemas);
  $("reference").replaceChildren(...sections);
  $("raw").href = new URL(`../openapi/${api}.json`, window.location.href).href;
  for (const button of document.querySelectorAll("#apis button")) button.setAttribute("aria-pressed", String(button.dataset.api === api));
}

async function show(api) {
  try {
    render(await load(api), api);
  } catch (error) {
    $("reference").replaceChildren(el("p", "error", `Could not load the ${api} document: ${error.message}`));
  }
}

function current() {
  const asked = window.location.hash.slice(1);
  return APIS.includes(asked) ? asked : "onprem";
}

for (const button of document.querySelectorAll("#apis button")) {
  button.addEventListener("click", () => {
    history.replaceState(null, "", `#${button.dataset.api}`);
    show(button.dataset.api);
  });
}
show(current());
