// The API as the console calls it: same origin, the key from sessionStorage in the Authorization header, errors
// as ApiError carrying the service's code, message, details and Retry-After.

const KEY = "shortlinks.key";
const ROLE = "shortlinks.role";

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  get role() { return sessionStorage.getItem(ROLE); },
  start(key, role) { sessionStorage.setItem(KEY, key); sessionStorage.setItem(ROLE, role); },
  end() { sessionStorage.removeItem(KEY); sessionStorage.removeItem(ROLE); },
};

export class ApiError extends Error {
  constructor(status, error, retryAfter) {
    super(error.message || `The service answered ${status}.`);
    this.status = status;
    this.code = error.code || "error";
    this.details = error.details || [];
    this.retryAfter = retryAfter;
  }

  // What a person reads: the service's message, and when to try again where that is known.
  get sentence() {
    const wait = this.retryAfter ? `Try again in ${this.retryAfter} second${this.retryAfter === "1" ? "" : "s"}.` : "";
    if (this.status === 429) return `Too many requests. ${wait || "Try again in a minute."}`;
    if (this.status === 503) return `The service is busy. ${wait || "Try again shortly."}`;
    if (this.status === 401) return "Your key is not valid any more: sign out and sign in with a valid key.";
    return this.message;
  }
}

export async function api(method, path, { query, body, headers = {}, accept = "application/json", key } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const sent = { Accept: accept, ...headers };
  const secret = key || session.key;
  if (secret) sent.Authorization = `Bearer ${secret}`;
  const init = { method, headers: sent, cache: "no-store", credentials: "omit", redirect: "error" };
  if (body !== undefined) {
    sent["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, { code: "network", message: "The service could not be reached. Check your connection and try again." });
  }
  if (!response.ok) {
    let payload = {};
    try { payload = await response.json(); } catch { /* an answer without JSON: the status says enough */ }
    // The service's errors are {"error": {...}}; API Gateway's own (429, 404, 5xx) are {"message": "..."}.
    const error = payload.error || { code: `http_${response.status}`, message: payload.message || `The service answered ${response.status}.` };
    throw new ApiError(response.status, error, response.headers.get("Retry-After"));
  }
  const data = response.status === 204 ? null : accept === "text/csv" ? await response.text() : await response.json();
  return { data, etag: response.headers.get("ETag") };
}

export function linkPath(link, suffix = "") {
  return `/v1/links/${encodeURIComponent(link.code)}${suffix}`;
}

export function qrUrl(link, format) {
  const url = new URL(linkPath(link, "/qr"), window.location.origin);
  url.searchParams.set("format", format);
  url.searchParams.set("domain", link.domain);
  return url.pathname + url.search;
}
