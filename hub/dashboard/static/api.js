// The hub API client: every call carries the bearer token kept in sessionStorage (gone when the tab closes).

const TOKEN_KEY = "mpphub.token";
const BASE = "/api/v1";

/** Thrown for a non-2xx answer; `status` is the HTTP status, `message` the API's {"error": ...}. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The stored token, or null. */
export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Keep the token for this browser tab only. */
export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

/** Forget the token (sign out, or the API refused it). */
export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * Take a token handed over in the address (`#token=...`, as `make demo` prints it) once, store it, and
 * remove it from the address bar and the history so it is not bookmarked or shared by accident.
 */
export function adoptTokenFromHash() {
  const match = /(?:^#|[#&])token=([^&]+)/.exec(location.hash);
  if (!match) return false;
  setToken(decodeURIComponent(match[1]));
  const rest = location.hash.replace(/[#&]?token=[^&]+/, "").replace(/^&/, "");
  history.replaceState(null, "", `${location.pathname}${location.search}${rest && rest !== "#" ? (rest.startsWith("#") ? rest : `#${rest}`) : "#/"}`);
  return true;
}

/** The API path of a service; ids hold a slash (`35.76/akta-kelahiran`) that stays a path separator. */
export function servicePath(serviceId) {
  return `/services/${serviceId.split("/").map(encodeURIComponent).join("/")}`;
}

/** GET a JSON document from the API. */
export async function get(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined));
  const url = `${BASE}${path}${query.toString() ? `?${query}` : ""}`;
  const response = await fetch(url, {
    headers: { Authorization: `Bearer ${token() ?? ""}`, Accept: "application/json" },
    cache: "no-store",
  });
  if (!response.ok) {
    let message = response.statusText;
    try {
      message = (await response.json()).error ?? message;
    } catch {
      /* not JSON: keep the status text */
    }
    throw new ApiError(response.status, message);
  }
  return response.json();
}

/** POST a JSON body to the API; returns the JSON answer (throws ApiError like get()). */
export async function post(path, body) {
  const response = await fetch(`${BASE}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token() ?? ""}`, Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify(body ?? {}),
    cache: "no-store",
  });
  if (!response.ok) {
    let message = response.statusText;
    try {
      message = (await response.json()).error ?? message;
    } catch {
      /* not JSON: keep the status text */
    }
    throw new ApiError(response.status, message);
  }
  return response.json();
}
