/* Calls to Conduit's REST API v1 from the board page: JSON in and out, the CSRF token on writes.
   Never throws for an HTTP or network failure: every answer is {ok, status, data, etag}, and a
   failed one always carries data.error = {code, message, detail} (the API's error envelope).
   `etag` is the answer's ETag header (a card's version) or null; `extraHeaders` go with the
   request (If-Match). */

const API_ROOT = "/api/v1/";
const NETWORK_MESSAGE = "Conduit could not be reached. Check your connection and try again.";

/* The CSRF cookie is HttpOnly: the token comes from the page's {% csrf_token %} input. */
export function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function api(method, path, body, extraHeaders = {}) {
  const headers = { ...extraHeaders, Accept: "application/json" };
  const options = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(API_ROOT + path, options);
  } catch (error) {
    return { ok: false, status: 0, etag: null, data: { error: { code: "network", message: NETWORK_MESSAGE, detail: {} } } };
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
  }
  if (!response.ok && !(data && data.error)) {
    const message = `Conduit answered with an error (${response.status}). Try again in a moment.`;
    data = { error: { code: `http_${response.status}`, message, detail: {} } };
  }
  return { ok: response.ok, status: response.status, data, etag: response.headers.get("ETag") };
}
