// The tenant picker (every tenant is a business of its own, its page at /t/{tenant}/_emulator/ui) and
// the active fault rules of the page's tenant (POST /_emulator/faults adds them; × deletes one).

import * as api from "./api.js";
import { append, button, el } from "./dom.js";

/** Fill the picker with every tenant; choosing one opens its page. */
export async function setUpTenants(picker, toast) {
  try {
    const body = await api.control("tenants");
    picker.replaceChildren(
      ...body.tenants.map((tenant) => {
        const option = el("option", "", tenant.name);
        option.value = tenant.name;
        option.selected = tenant.name === body.current;
        option.title = `phone_number_id ${tenant.phone_number_id}, number ${tenant.display_phone_number}`;
        return option;
      }),
    );
    picker.title = "Tenant: each is an emulated business of its own";
    picker.addEventListener("change", () => {
      window.location.href = tenantPage(picker.value, body.current);
    });
  } catch (error) {
    toast(error.message);
  }
}

/** The page of tenant `name`, from the page of tenant `current` (relative: works behind a path prefix too). */
function tenantPage(name, current) {
  const base = new URL("../", window.location.href); // this tenant's base: / or /t/{current}/
  const root = current === "default" ? base : new URL("../../", base);
  const path = name === "default" ? "_emulator/ui" : `t/${encodeURIComponent(name)}/_emulator/ui`;
  const target = new URL(path, root);
  const token = new URL(window.location.href).searchParams.get("token");
  if (token) target.searchParams.set("token", token);
  return target.href;
}

/** Show the tenant's active fault rules (the list is hidden when there are none). */
export async function renderFaults(list, toast) {
  const body = await api.control("faults");
  const active = body.faults.filter((rule) => rule.active);
  list.hidden = active.length === 0;
  list.replaceChildren(...active.map((rule) => faultItem(rule, toast)));
}

function faultItem(rule, toast) {
  const remove = button(
    "fault-remove",
    "×",
    async () => {
      try {
        await api.control(`faults/${rule.id}`, { method: "DELETE" });
      } catch (error) {
        toast(error.message);
      }
    },
    `DELETE /_emulator/faults/${rule.id}`,
  );
  const item = append(el("li", "fault"), el("span", "fault-what", describe(rule)), el("span", "fault-hits", hits(rule)), remove);
  item.dataset.faultId = rule.id;
  return item;
}

/** A rule in a few words: "POST /v1/messages: error 1011 (next 1)". */
export function describe(rule) {
  const match = rule.match || {};
  const where =
    match.api === "webhook"
      ? ["webhooks", match.type, match.status, match.to].filter(Boolean).join(" ")
      : [match.method, match.path || (match.api ? `${match.api} API` : "API calls"), match.type, match.to].filter(Boolean).join(" ");
  const effect = Object.entries(rule.action)
    .map(([key, value]) => (value === true ? key : `${key} ${value}`))
    .join(", ");
  const how = rule.times ? ` (next ${rule.times})` : rule.every ? ` (every ${rule.every})` : rule.probability ? ` (p ${rule.probability})` : "";
  const tenant = rule.tenant === "*" ? " [every tenant]" : "";
  return `${where}: ${effect}${how}${tenant}`;
}

function hits(rule) {
  return `${rule.hits} hit${rule.hits === 1 ? "" : "s"}`;
}
