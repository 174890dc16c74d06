// HTTP: the control API (/_emulator) the tests use, and the /v1 API for media (it needs a login token).
//
// Every URL is relative to the page (/_emulator/ui), so the page also works behind a path prefix.

const ROOT = new URL("../", window.location.href); // the emulator's root: /_emulator/ui -> /
const CONTROL = new URL("_emulator/", ROOT);
const V1 = new URL("v1/", ROOT);

/** An error answer of the emulator: the On-Premises envelope's first error, readable. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.errors && body.errors[0]) || {};
    super(error.code ? `${error.code} ${error.title}: ${error.details || ""}` : `HTTP ${status}`);
    this.status = status;
    this.code = error.code;
  }
}

async function answer(response) {
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** The control token, when the emulator has one: from ?token= in the page's address, kept for the tab. */
function controlToken() {
  const given = new URL(window.location.href).searchParams.get("token");
  if (given) sessionStorage.setItem("wa-emulator-control-token", given);
  return sessionStorage.getItem("wa-emulator-control-token") || "";
}

/** GET or POST (JSON) a control path such as "users" or "users/155.../messages". */
export async function control(path, { method = "GET", body } = {}) {
  const headers = {};
  const token = controlToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(new URL(path, CONTROL), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer(response);
}

/** The URL of a control path (for links, such as the conversation script). */
export function controlUrl(path) {
  const url = new URL(path, CONTROL);
  const token = controlToken();
  if (token) url.searchParams.set("token", token);
  return url.href;
}

/** The event stream's URL (EventSource cannot send headers, so the token goes in the query). */
export function eventsUrl() {
  return controlUrl("events");
}

// -- /v1: a bearer token from POST /v1/users/login (Basic auth), renewed once when refused --------

let v1Token = null;

async function login() {
  const password = sessionStorage.getItem("wa-emulator-admin-password") || "secret";
  const response = await fetch(new URL("users/login", V1), {
    method: "POST",
    headers: { Authorization: `Basic ${btoa(`admin:${password}`)}`, "Content-Type": "application/json" },
    body: "{}",
  });
  if (response.status === 401) {
    const other = window.prompt("The admin password of the emulator (for media):");
    if (other) {
      sessionStorage.setItem("wa-emulator-admin-password", other);
      return login();
    }
  }
  const body = await answer(response);
  return body.users[0].token;
}

async function v1(path, init = {}) {
  for (const fresh of [false, true]) {
    if (!v1Token || fresh) v1Token = await login();
    const headers = { ...(init.headers || {}), Authorization: `Bearer ${v1Token}` };
    const response = await fetch(new URL(path, V1), { ...init, headers });
    if (response.status !== 401 || fresh) return response;
  }
  throw new Error("unreachable");
}

/** Upload a file with POST /v1/media; answers the media id. */
export async function uploadMedia(file) {
  const response = await v1("media", {
    method: "POST",
    headers: { "Content-Type": file.type || "application/octet-stream" },
    body: file,
  });
  return (await answer(response)).media[0].id;
}

const mediaUrls = new Map();

/** An object URL of uploaded media (GET /v1/media/{id} with the token), fetched once per id. */
export function mediaUrl(id) {
  if (!mediaUrls.has(id)) {
    const fetched = v1(`media/${encodeURIComponent(id)}`).then(async (response) => {
      if (!response.ok) await answer(response);
      return URL.createObjectURL(await response.blob());
    });
    fetched.catch(() => mediaUrls.delete(id)); // try again next time (a reset may have removed it)
    mediaUrls.set(id, fetched);
  }
  return mediaUrls.get(id);
}

/** Forget fetched media (after a reset the same ids may name other files). */
export function forgetMedia() {
  for (const url of mediaUrls.values()) url.then(URL.revokeObjectURL, () => {});
  mediaUrls.clear();
}
