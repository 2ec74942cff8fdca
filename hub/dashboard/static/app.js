// The dashboard's shell: sign-in, hash routes, auto-refresh every 30 s with a visible "last updated",
// and the language switch. Pages live in views.js.

import { ApiError, adoptTokenFromHash, clearToken, get, setToken, token } from "./api.js";
import { clock, h, replace } from "./dom.js";
import { lang, setLang, t } from "./i18n.js";
import { MapView } from "./map.js";
import { StandardsView } from "./standards.js";
import { DeadLettersView, OverviewView, ProvinceView, ProvincesView, RegionView, ServiceView, setViewer } from "./views.js";

const REFRESH_MS = 30_000;
const $ = (id) => document.getElementById(id);

let view = null; // the mounted page
let data = null; // what it shows (kept to re-render on a language switch without refetching)
let sequence = 0; // drops answers that arrive after the user moved on
let timer = null;
let lastUpdated = null;
let me = null; // who is signed in: {name, role, region}

/** The view for the current address: #/, #/provinces, #/map, #/province/35, #/region/35.76, #/service/35.76/slug. */
function routeView() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [page, ...rest] = path.split("/").map(decodeURIComponent);
  if (page === "dead-letters") return new DeadLettersView(query);
  if (page === "provinces") return new ProvincesView();
  if (page === "map") return new MapView();
  if (page === "templates") return new StandardsView();
  if (page === "province" && rest[0]) return new ProvinceView(rest[0]);
  if (page === "region" && rest[0]) return new RegionView(rest[0]);
  if (page === "service" && rest.length >= 2) return new ServiceView(rest.join("/"));
  return new OverviewView();
}

/** Put the static labels (data-i18n="key") in the active language. */
function relabel() {
  document.documentElement.lang = lang();
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  const other = lang() === "id" ? "en" : "id";
  const button = $("lang-switch");
  button.textContent = t("lang.switch");
  button.setAttribute("lang", other);
  button.title = t("lang.switch.title");
  document.title = t("app.title");
  showUpdated();
}

function showUpdated() {
  const el = $("last-updated");
  if (!lastUpdated) {
    replace(el, `${t("updated.label")}: ${t("updated.never")}`);
    return;
  }
  replace(el, `${t("updated.label")}: `, h("time", { datetime: lastUpdated.toISOString() }, clock(lastUpdated)));
}

function showMe() {
  setViewer(me);
  // a region team's first page is its region's, not the nation's
  const overview = document.querySelector('nav.bar a[href="#/"]');
  if (overview) overview.textContent = t(me?.role === "region" ? "nav.region_overview" : "nav.overview");
  const el = $("whoami");
  el.textContent = me ? `${me.name} · ${t(`role.${me.role}`)}${me.region ? ` · ${me.region}` : ""}` : "";
}

function showError(error) {
  const banner = $("error");
  if (!error) {
    banner.hidden = true;
    banner.textContent = "";
    return;
  }
  banner.hidden = false;
  banner.textContent = `${t("error.load")}: ${error.status === 404 ? t("error.notfound") : error.message}`;
}

function signedOut(message = "") {
  clearToken();
  me = null;
  clearInterval(timer);
  timer = null;
  view = null;
  $("app").hidden = true;
  $("login").hidden = false;
  const problem = $("login-error");
  problem.hidden = !message;
  problem.textContent = message;
  $("token-input").value = "";
  $("token-input").focus();
}

async function load({ refresh = false } = {}) {
  const mine = ++sequence;
  const next = refresh && view ? view : routeView();
  const main = $("main");
  if (!refresh) {
    main.setAttribute("aria-busy", "true");
    if (!view) replace(main, h("p", { class: "loading" }, t("loading")));
  }
  try {
    const fresh = await next.fetch();
    if (mine !== sequence) return;
    data = fresh;
    if (refresh && view === next) next.update(fresh);
    else {
      view = next;
      next.mount(main, fresh);
      main.querySelector("h1")?.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
    lastUpdated = new Date();
    showUpdated();
    showError(null);
  } catch (error) {
    if (mine !== sequence) return;
    if (error instanceof ApiError && error.status === 401) return signedOut(t("login.invalid"));
    showError(error);
    if (!refresh) {
      view = null;
      replace(main, h("p", { class: "loading" }, t("error.load")));
    }
  } finally {
    if (mine === sequence) main.removeAttribute("aria-busy");
  }
}

async function start() {
  try {
    me = await get("/me");
    showMe();
  } catch (error) {
    signedOut(error instanceof ApiError && (error.status === 401 || error.status === 403) ? t("login.invalid") : error.message);
    return;
  }
  $("login").hidden = true;
  $("app").hidden = false;
  clearInterval(timer);
  timer = setInterval(() => load({ refresh: true }), REFRESH_MS);
  await load();
}

function wire() {
  // the skip link focuses the content without touching the address (its hash is the page's route)
  $("skip").addEventListener("click", (event) => {
    event.preventDefault();
    $("main").focus();
  });
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token-input").value.trim();
    if (!value) return;
    setToken(value);
    start();
  });
  $("logout").addEventListener("click", () => signedOut());
  $("refresh").addEventListener("click", () => load({ refresh: true }));
  $("lang-switch").addEventListener("click", () => {
    setLang(lang() === "id" ? "en" : "id");
    relabel();
    if (view && data) {
      const focusId = document.activeElement?.id;
      view.mount($("main"), data);
      if (focusId) document.getElementById(focusId)?.focus();
    }
    showMe();
  });
  window.addEventListener("hashchange", () => {
    if (adoptTokenFromHash()) return start();
    if (token() && !$("app").hidden) load();
  });
}

wire();
relabel();
adoptTokenFromHash();
if (token()) start();
else signedOut();
