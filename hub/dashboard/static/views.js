// The pages: national overview, province rollup, one province, one region, one service.
// Each view fetches everything it shows in one or two calls (no per-row fetch), builds its DOM once in
// mount(), and update() refreshes numbers and table rows in place (keeping focus, sort and filters).

import { get, post, servicePath } from "./api.js";
import { lineChart } from "./charts.js";
import { duration, h, num, redact, replace, stateBadge, when } from "./dom.js";
import { label, lang, t } from "./i18n.js";
import { provinceName } from "./map.js";
import { reasonText } from "./reasons.js";
import { DataTable } from "./table.js";

const STATES = ["live", "onboarding", "failing", "stalled", "stuck"]; // sorted last = shown first
const enc = encodeURIComponent;

export const regionHref = (code) => `#/region/${enc(code)}`;
export const provinceHref = (code) => `#/province/${enc(code)}`;
export const serviceHref = (id) => `#/service/${id.split("/").map(enc).join("/")}`;
/** The dead-letter page with its filters in the address (shareable, and the back button works). */
export const deadLettersHref = (params = {}) => {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined && v !== 1));
  return `#/dead-letters${query.toString() ? `?${query}` : ""}`;
};

// who is signed in ({name, role, region}), set by the shell: a region team's pages say its region's name
let viewer = null;
/** Tell the views who is signed in. */
export function setViewer(me) {
  viewer = me;
}

const link = (href, text, attrs = {}) => h("a", { href, ...attrs }, text);
const plain = (value) => (value === null || value === undefined || value === "" ? t("none") : redact(value));
const errorText = (value) => (value ? h("span", { class: "last-error" }, redact(value)) : t("none"));

/** Why a region or service is in its state (the API's `reason`), and its last error when the reason lacks it. */
function reasonCell(row) {
  const reason = row.reason ? redact(reasonText(row.reason)) : "";
  const error = row.last_error ? redact(row.last_error) : "";
  if (!reason && !error) return t("none");
  const cell = h("span", { class: `reason state-${row.state}` }, reason);
  if (error && !reason.includes(error)) cell.append(reason ? h("br") : "", h("span", { class: "last-error" }, error));
  return cell;
}

/** A service's name in the active language when the API gives both. */
const serviceName = (row) => (lang() === "en" && row.name_en ? row.name_en : row.name ?? row.service_id);

/** A region or service with open dead letters is flagged beside its name: a count leading to them. */
function deadLetterBadge(count, filter) {
  if (!count) return null;
  return h(
    "a",
    { class: "dl-badge", href: deadLettersHref(filter), title: t("dl.badge.title", { n: num(count) }), "data-count": count },
    t("dl.badge", { n: num(count) }),
  );
}

/** A name cell: the link and, when it has open dead letters, their badge. */
const named = (anchor, count, filter) => {
  const badge = deadLetterBadge(count, filter);
  return badge ? h("span", { class: "named" }, anchor, " ", badge) : anchor;
};

function breadcrumbs(items) {
  return h(
    "nav",
    { class: "breadcrumbs", "aria-label": "breadcrumb" },
    h(
      "ol",
      {},
      items.map(([href, label], i) =>
        h("li", {}, i === items.length - 1 ? h("span", { "aria-current": "page" }, label) : link(href, label)),
      ),
    ),
  );
}

/** Health columns shared by regions and services tables. */
function healthColumns() {
  return [
    { key: "state", label: t("col.state"), render: (r) => stateBadge(r.state), value: (r) => STATES.indexOf(r.state) },
    // the reason right beside the state: a stalled or failing row says why without scrolling sideways
    { key: "reason", label: t("col.reason"), cls: "wrap", render: reasonCell, value: (r) => r.reason ?? r.last_error ?? null },
    { key: "last_success", label: t("col.last_success"), render: (r) => when(r.last_success), value: (r) => r.last_success ?? null },
    { key: "lag_seconds", label: t("col.lag"), num: true, render: (r) => duration(r.lag_seconds) },
    { key: "backlog", label: t("col.backlog"), num: true, render: (r) => num(r.backlog) },
    { key: "failures", label: t("col.failures"), num: true, render: (r) => num(r.failures) },
    { key: "dead_letters", label: t("col.dead_letters"), num: true, render: (r) => num(r.dead_letters) },
    { key: "sla_breaches", label: t("col.sla_breaches"), num: true, render: (r) => num(r.sla_breaches) },
  ];
}

function regionsTable(id, rows, { withProvince = true } = {}) {
  return new DataTable({
    id,
    caption: t("regions.title"),
    rows,
    searchKeys: ["code", "name", "province_name", "reason", "last_error"],
    stateKey: "state",
    sort: { key: "state", dir: -1 }, // stalled and failing first: what a coordinator looks for
    columns: [
      { key: "code", label: t("col.code"), header: true },
      {
        key: "name",
        label: t("col.name"),
        render: (r) => named(link(regionHref(r.code), r.name, { class: "region-link" }), r.dead_letters, { region: r.code }),
      },
      withProvince
        ? { key: "province_name", label: t("col.province"), render: (r) => link(provinceHref(r.province_code), r.province_name) }
        : null,
      { key: "services", label: t("col.services"), num: true, render: (r) => num(r.services) },
      ...healthColumns(),
    ].filter(Boolean),
  });
}

/** A counter tile; with `state` it is a button that filters `table` to that state. */
function counter(key, value, { state = null, table = null } = {}) {
  const body = [h("span", { class: "counter-value" }, num(value)), h("span", { class: "counter-label" }, t(`counter.${key}`))];
  if (!state) return h("div", { class: "counter", id: `counter-${key}` }, body);
  return h(
    "button",
    {
      type: "button",
      class: `counter counter-state state-${state}`,
      id: `counter-${key}`,
      "data-state": state,
      title: t("counter.filter_hint"),
      "aria-controls": table?.id,
      onclick: () => {
        table.filterState(state);
        table.element.scrollIntoView({ block: "start" });
      },
    },
    body,
  );
}

function counters(totals, table) {
  return h(
    "section",
    { class: "counters", "aria-label": t("overview.title") },
    h("div", { class: "counter-row states" }, STATES.map((s) => counter(s, totals[s], { state: s, table }))),
    h(
      "div",
      { class: "counter-row totals" },
      ["regions", "services", "applications", "delivered", "backlog", "dead_letters", "sla_breaches"]
        .filter((k) => k in totals)
        .map((k) => counter(k, totals[k])),
    ),
  );
}

/** What waits on the national side: a count, or "unknown" (null) — never a 0 the hub could not take. */
function nationalBacklog(value) {
  return value === null || value === undefined ? t("national_backlog.unknown") : num(value);
}

function facts(items) {
  return h(
    "dl",
    { class: "facts" },
    items.map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value))),
  );
}

/** "Ringkasan nasional" for the nation; a region team's token sees its own region's name. */
function overviewTitle(regions) {
  if (viewer?.role !== "region") return t("overview.title");
  const own = regions.find((r) => r.code === viewer.region);
  return `${t("region.title")} ${own?.name ?? viewer.region} (${viewer.region})`;
}

/** National overview: state counters (clickable filters), totals, 24 h charts, every region. */
export class OverviewView {
  async fetch() {
    const [overview, regions] = await Promise.all([get("/overview"), get("/regions")]);
    return { overview, regions };
  }

  mount(root, data) {
    this.table = regionsTable("regions", data.regions);
    this.generated = h("p", { class: "generated" });
    this.counters = h("div");
    this.charts = h("div", { class: "charts" });
    this.title = h("h1", { tabindex: "-1" }, overviewTitle(data.regions));
    replace(
      root,
      this.title,
      this.generated,
      this.counters,
      this.charts,
      h("section", { "aria-labelledby": "regions-h" }, h("h2", { id: "regions-h" }, t("regions.title")), this.table.element),
    );
    this.update(data);
  }

  update({ overview, regions }) {
    this.title.textContent = overviewTitle(regions);
    this.generated.textContent = `${t("overview.generated")}: ${when(overview.generated_at)}`;
    replace(this.counters, counters(overview.totals, this.table));
    const series = overview.series ?? [];
    replace(
      this.charts,
      lineChart({
        id: "chart-throughput",
        title: t("chart.throughput"),
        points: series,
        lines: [
          { key: "delivered", label: t("chart.delivered"), cls: "s1" },
          { key: "events", label: t("chart.events"), cls: "s2" },
        ],
      }),
      lineChart({
        id: "chart-lag",
        title: t("chart.lag"),
        points: series,
        lines: [{ key: "lag_seconds", label: t("chart.lag_seconds"), cls: "s3" }],
        format: duration,
      }),
    );
    this.table.setRows(regions);
  }
}

/** Province rollup: one row per province with its regions' states and totals. */
export class ProvincesView {
  async fetch() {
    return { provinces: await get("/provinces") };
  }

  mount(root, data) {
    const count = (key) => ({ key, label: t(`col.${key}`), num: true, render: (r) => num(r[key]) });
    this.table = new DataTable({
      id: "provinces",
      caption: t("provinces.title"),
      rows: data.provinces,
      searchKeys: ["code", "name"],
      sort: { key: "code", dir: 1 },
      columns: [
        { key: "code", label: t("col.code"), header: true },
        { key: "name", label: t("col.name"), render: (r) => link(provinceHref(r.code), r.name, { class: "province-link" }) },
        ...["regions", "live", "onboarding", "failing", "stalled", "stuck", "backlog", "dead_letters", "sla_breaches"].map(count),
      ],
    });
    replace(
      root,
      breadcrumbs([
        ["#/", t("nav.overview")],
        ["#/provinces", t("nav.provinces")],
      ]),
      h("h1", { tabindex: "-1" }, t("provinces.title")),
      this.table.element,
    );
  }

  update({ provinces }) {
    this.table.setRows(provinces);
  }
}

/** One province: its counters and its regions. */
export class ProvinceView {
  constructor(code) {
    this.code = code;
  }

  async fetch() {
    const [provinces, regions] = await Promise.all([get("/provinces"), get("/regions", { province: this.code })]);
    // a province without a published service (a grey tile of the map) has an empty page, not "not found"
    const zero = Object.fromEntries(["regions", ...STATES, "backlog", "dead_letters", "sla_breaches"].map((k) => [k, 0]));
    const quiet = provinceName(this.code) && { ...zero, code: this.code, name: provinceName(this.code) };
    const province = provinces.find((p) => p.code === this.code) ?? quiet;
    if (!province) throw Object.assign(new Error(t("error.notfound")), { status: 404 });
    return { province, regions };
  }

  mount(root, data) {
    this.table = regionsTable(`regions-${this.code}`, data.regions, { withProvince: false });
    this.counters = h("div");
    this.title = h("h1", { tabindex: "-1" });
    this.crumbs = h("div");
    replace(root, this.crumbs, this.title, this.counters, this.table.element);
    this.update(data);
  }

  update({ province, regions }) {
    replace(
      this.crumbs,
      breadcrumbs([
        ["#/", t("nav.overview")],
        ["#/provinces", t("nav.provinces")],
        [provinceHref(province.code), province.name],
      ]),
    );
    this.title.textContent = `${t("province.title")} ${province.name} (${province.code})`;
    replace(this.counters, counters(province, this.table));
    this.table.setRows(regions);
  }
}

/** One region: its health and every service with its own health and last error. */
export class RegionView {
  constructor(code) {
    this.code = code;
  }

  async fetch() {
    const [region, history] = await Promise.all([
      get(`/regions/${enc(this.code)}`),
      // the page stands without its history (an older hub): the charts' place says it is unavailable
      get(`/regions/${enc(this.code)}/history`, { days: HISTORY_DAYS }).catch(() => null),
    ]);
    return { region, history };
  }

  mount(root, data) {
    this.table = new DataTable({
      id: `services-${this.code}`,
      caption: t("region.services"),
      rows: data.region.services ?? [],
      searchKeys: ["service_id", "name", "name_en", "category", "reason", "last_error"],
      stateKey: "state",
      sort: { key: "state", dir: -1 },
      columns: [
        {
          key: "name",
          label: t("col.service"),
          header: true,
          render: (r) =>
            named(link(serviceHref(r.service_id), serviceName(r), { class: "service-link" }), r.dead_letters, { service: r.service_id }),
        },
        { key: "category", label: t("col.category") },
        { key: "version", label: t("col.version") },
        ...healthColumns(),
      ],
    });
    this.head = h("div");
    this.history = h("div", { class: "charts" });
    replace(
      root,
      this.head,
      h("section", { "aria-labelledby": "history-h", id: "region-history" }, h("h2", { id: "history-h" }, t("history.title", { days: num(HISTORY_DAYS) })), this.history),
      h("section", { "aria-labelledby": "services-h" }, h("h2", { id: "services-h" }, t("region.services")), this.table.element),
    );
    this.update(data);
  }

  update({ region, history }) {
    replace(this.history, historyCharts(history));
    replace(
      this.head,
      breadcrumbs([
        ["#/", t("nav.overview")],
        [provinceHref(region.province_code), region.province_name],
        [regionHref(region.code), region.name],
      ]),
      h("h1", { tabindex: "-1" }, `${t("region.title")} ${region.name} (${region.code}) `, stateBadge(region.state)),
      facts([
        [t("col.province"), link(provinceHref(region.province_code), region.province_name)],
        [t("col.services"), num(region.service_count ?? region.services?.length)],
        [t("col.last_success"), when(region.last_success)],
        [t("col.lag"), duration(region.lag_seconds)],
        [t("col.backlog"), num(region.backlog)],
        [t("col.national_backlog"), nationalBacklog(region.national_backlog)],
        [t("col.failures"), num(region.failures)],
        [t("col.dead_letters"), num(region.dead_letters)],
        [t("col.sla_breaches"), num(region.sla_breaches)],
        [t("col.sla_closed_late"), num(region.sla_closed_late ?? 0)],
        [t("col.reason"), reasonCell(region)],
        [t("col.last_error"), errorText(region.last_error)],
      ]),
    );
    this.table.setRows(region.services ?? []);
  }
}

const HISTORY_DAYS = 14;

/** A region's last days, hour by hour (GET /regions/{code}/history): its lag, and what waits or failed. */
function historyCharts(history) {
  if (!history) return h("p", { class: "chart-empty", id: "history-unavailable" }, t("history.unavailable"));
  const span = { since: history.since, until: history.until };
  return [
    lineChart({
      id: "chart-history-lag",
      title: t("history.lag"),
      points: history.points,
      lines: [{ key: "lag_seconds", label: t("chart.lag_seconds"), cls: "s3" }],
      format: duration,
      span,
    }),
    lineChart({
      id: "chart-history-queue",
      title: t("history.queue"),
      points: history.points,
      lines: [
        { key: "backlog", label: t("col.backlog"), cls: "s1" },
        { key: "failures", label: t("col.failures"), cls: "s2" },
        { key: "dead_letters", label: t("col.dead_letters"), cls: "s4" },
      ],
      span,
    }),
  ];
}

/** One service: health, recent applications (masked NIK and phone only), dead letters with reasons. */
export class ServiceView {
  constructor(id) {
    this.id = id;
  }

  async fetch() {
    return { service: await get(servicePath(this.id)) };
  }

  mount(root, data) {
    // Only these application fields are ever rendered: the masked NIK and phone as the API sends them,
    // and no other personal field, whatever else a response might carry.
    this.applications = new DataTable({
      id: "applications",
      memo: `applications-${this.id}`,
      caption: t("service.applications"),
      rows: [],
      searchKeys: ["national_id", "status", "delivery", "package_version"],
      sort: { key: "submitted_at", dir: -1 },
      columns: [
        { key: "national_id", label: t("col.national_id"), header: true, render: (r) => plain(r.national_id) },
        { key: "submitted_at", label: t("col.submitted_at"), render: (r) => when(r.submitted_at), value: (r) => r.submitted_at },
        { key: "status", label: t("col.status"), render: (r) => plain(label("status", r.status)) },
        { key: "delivery", label: t("col.delivery"), render: (r) => plain(label("delivery", r.delivery)) },
        { key: "package_version", label: t("col.package_version"), render: (r) => plain(r.package_version) },
        { key: "nik_masked", label: t("col.nik"), render: (r) => plain(r.nik_masked) },
        { key: "phone_masked", label: t("col.phone"), render: (r) => plain(r.phone_masked) },
      ],
    });
    this.deadLetters = new DataTable({
      id: "dead-letters",
      memo: `dead-letters-${this.id}`,
      caption: t("service.dead_letters"),
      rows: [],
      searchKeys: ["kind", "flow", "ref", "reason"],
      sort: { key: "created_at", dir: -1 },
      columns: [
        { key: "id", label: t("col.id"), header: true, render: (r) => plain(r.id) },
        { key: "kind", label: t("col.kind"), render: (r) => plain(label("kind", r.kind)) },
        { key: "flow", label: t("col.flow"), render: (r) => plain(r.flow) },
        { key: "ref", label: t("col.ref"), render: (r) => plain(r.ref) },
        { key: "reason", label: t("col.reason"), cls: "wrap", render: (r) => errorText(reasonText(r.reason)) },
        { key: "created_at", label: t("col.created_at"), render: (r) => when(r.created_at), value: (r) => r.created_at },
        { key: "attempts", label: t("col.attempts"), num: true, render: (r) => num(r.attempts) },
      ],
    });
    this.head = h("div");
    replace(
      root,
      this.head,
      h(
        "section",
        { "aria-labelledby": "applications-h" },
        h("h2", { id: "applications-h" }, t("service.applications")),
        h("p", { class: "note" }, t("service.masked_note")),
        this.applications.element,
      ),
      h("section", { "aria-labelledby": "dead-letters-h" }, h("h2", { id: "dead-letters-h" }, t("service.dead_letters")), this.deadLetters.element),
    );
    this.update(data);
  }

  update({ service }) {
    const region =
      typeof service.region === "object" && service.region ? service.region : { code: service.region, name: service.region_name };
    const regionCode = region.code ?? this.id.split("/")[0];
    const regionLabel = region.name ? `${region.name} (${regionCode})` : regionCode;
    const provinceCode = service.province_code || regionCode.split(".")[0];
    replace(
      this.head,
      breadcrumbs([
        ["#/", t("nav.overview")],
        [provinceHref(provinceCode), service.province_name || provinceCode],
        [regionHref(regionCode), regionLabel],
        [serviceHref(this.id), serviceName(service)],
      ]),
      h("h1", { tabindex: "-1" }, `${t("service.title")} ${serviceName(service)} `, stateBadge(service.state)),
      facts([
        [t("col.id"), service.service_id ?? this.id],
        [t("field.region"), link(regionHref(regionCode), regionLabel)],
        [t("field.category"), service.category ?? t("none")],
        [t("field.version"), service.version ?? t("none")],
        [t("col.last_success"), when(service.last_success)],
        [t("col.lag"), duration(service.lag_seconds)],
        [t("col.backlog"), num(service.backlog)],
        [t("col.national_backlog"), nationalBacklog(service.national_backlog)],
        [t("col.failures"), num(service.failures)],
        [t("counter.applications"), num(service.application_count ?? service.applications?.length)],
        [t("col.dead_letters"), num(service.dead_letter_count ?? service.dead_letters?.length)],
        [t("col.sla_breaches"), num(service.sla_breaches)],
        [t("col.sla_closed_late"), num(service.sla_closed_late ?? 0)],
        [t("col.reason"), reasonCell(service)],
        [t("col.last_error"), errorText(service.last_error)],
      ]),
    );
    this.applications.setRows(service.applications ?? []);
    this.deadLetters.setRows(Array.isArray(service.dead_letters) ? service.dead_letters : []);
  }
}

const KINDS = ["application", "event", "record"];
const FILTERS = ["region", "service", "reason", "kind"];

/**
 * The national dead-letter page (#/dead-letters?region=&service=&reason=&kind=&page=): open dead letters
 * filtered and paginated by the API (a national ledger can hold many), each with the local system's
 * reference; operators replay one, or the page shown, after a confirmation (audited by the API).
 */
export class DeadLettersView {
  constructor(query = "") {
    const params = new URLSearchParams(query);
    this.filter = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ""]));
    this.page = Math.max(1, Number.parseInt(params.get("page") ?? "1", 10) || 1);
  }

  async fetch() {
    return { letters: await get("/dead-letters/page", { ...this.filter, page: this.page }) };
  }

  get canReplay() {
    return viewer?.role === "operator";
  }

  mount(root, data) {
    const field = (key, control) => h("div", { class: "field" }, h("label", { for: `dl-${key}` }, t(`dl.${key}`)), control);
    this.regionSelect = h("select", { id: "dl-region", name: "region" });
    this.kindSelect = h(
      "select",
      { id: "dl-kind", name: "kind" },
      h("option", { value: "" }, t("dl.kind.all")),
      KINDS.map((k) => h("option", { value: k }, label("kind", k))),
    );
    this.kindSelect.value = this.filter.kind;
    this.serviceInput = h("input", { id: "dl-service", name: "service", type: "search", value: this.filter.service, autocomplete: "off", placeholder: "35.76/akta-kelahiran" });
    this.reasonInput = h("input", { id: "dl-reason", name: "reason", type: "search", value: this.filter.reason, autocomplete: "off", title: t("dl.reason.hint"), maxlength: 100 });
    const form = h(
      "form",
      {
        class: "dl-filters table-controls",
        id: "dl-filters",
        "aria-label": t("dl.filters"),
        onsubmit: (event) => {
          event.preventDefault();
          const next = {
            region: this.regionSelect.value,
            service: this.serviceInput.value.trim(),
            reason: this.reasonInput.value.trim(),
            kind: this.kindSelect.value,
          };
          location.hash = deadLettersHref(next); // the shell loads the page for the new address
        },
      },
      field("region", this.regionSelect),
      field("service", this.serviceInput),
      field("reason", this.reasonInput),
      field("kind", this.kindSelect),
      h("button", { type: "submit", id: "dl-apply" }, t("dl.apply")),
      h("a", { href: deadLettersHref(), class: "link-button", id: "dl-clear" }, t("dl.clear")),
    );
    this.total = h("p", { class: "table-status", id: "dl-total", "aria-live": "polite" });
    this.message = h("p", { class: "notice", id: "dl-message", role: "status", hidden: true });
    this.bulk = this.canReplay ? h("button", { type: "button", id: "dl-replay-page", class: "danger", onclick: () => this.confirm(this.shown) }) : null;
    this.tbody = h("tbody");
    this.pager = h("nav", { class: "pager", "aria-label": t("dl.title") });
    const heads = [
      ["id", t("col.id")],
      ["kind", t("col.kind")],
      ["local_reference", t("col.local_ref")],
      ["service_id", t("col.service")],
      ["reason", t("col.reason")],
      ["created_at", t("col.created_at")],
      ["attempts", t("col.attempts")],
      ...(this.canReplay ? [["actions", t("col.actions")]] : []),
    ];
    this.columns = heads;
    const table = h(
      "table",
      { id: "dead-letter-table", class: "data stack" },
      h("caption", {}, t("dl.title")),
      h("thead", {}, h("tr", {}, heads.map(([key, text]) => h("th", { scope: "col", "data-key": key, class: key === "attempts" ? "num" : null }, text)))),
      this.tbody,
    );
    this.dialog = h("dialog", { id: "dl-confirm", "aria-labelledby": "dl-confirm-h" });
    this.title = h("h1", { tabindex: "-1" });
    replace(
      root,
      breadcrumbs([
        ["#/", t(viewer?.role === "region" ? "nav.region_overview" : "nav.overview")],
        [deadLettersHref(), t("nav.dead_letters")],
      ]),
      this.title,
      h("p", { class: "note" }, t("dl.intro")),
      form,
      this.canReplay ? null : h("p", { class: "note", id: "dl-readonly" }, t("dl.replay.only_operators")),
      this.message,
      h("div", { class: "dl-summary" }, this.total, this.bulk),
      h("div", { class: "table-block" }, h("div", { class: "table-scroll" }, table), this.pager),
      this.dialog,
    );
    this.update(data);
  }

  update({ letters }) {
    this.letters = letters;
    const own = viewer?.role === "region" ? letters.regions.find((r) => r.code === viewer.region) : null;
    this.title.textContent =
      viewer?.role === "region" ? `${t("dl.title.region")} — ${t("region.title")} ${own?.name ?? viewer.region} (${viewer.region})` : t("dl.title");
    const options = [h("option", { value: "" }, t("dl.region.all"))];
    const regions = [...letters.regions];
    if (this.filter.region && !regions.some((r) => r.code === this.filter.region)) regions.push({ code: this.filter.region, name: this.filter.region, count: 0 });
    for (const r of regions) options.push(h("option", { value: r.code }, `${r.name} (${r.code}) · ${num(r.count)}`));
    replace(this.regionSelect, options);
    this.regionSelect.value = this.filter.region;
    this.total.textContent = t("dl.total", { total: num(letters.total) });
    this.shown = letters.items;
    if (this.bulk) {
      this.bulk.textContent = t("dl.replay.page", { n: num(letters.items.length) });
      this.bulk.hidden = letters.items.length < 2;
    }
    const labels = Object.fromEntries(this.columns);
    const cell = (key, ...content) => h(key === "id" ? "th" : "td", { "data-key": key, "data-label": labels[key], scope: key === "id" ? "row" : null, class: key === "attempts" ? "num" : key === "reason" ? "wrap" : null }, content);
    const rows = letters.items.map((d) =>
      h(
        "tr",
        { "data-id": d.id },
        cell("id", `#${d.id}`),
        cell("kind", h("span", { class: `badge kind-${d.kind}`, "data-kind": d.kind }, label("kind", d.kind))),
        cell(
          "local_reference",
          h("span", { class: "local-ref" }, plain(d.local_reference)),
          h("br"),
          h("span", { class: "hub-ref", title: t("dl.hub_ref") }, `${t("dl.hub_ref")}: ${redact(d.ref)}`),
        ),
        cell("service_id", link(serviceHref(d.service_id), d.service_id), h("br"), h("span", { class: "muted" }, `${d.region_name} (${d.region}) · ${d.flow}`)),
        cell("reason", h("span", { class: "last-error" }, redact(reasonText(d.reason)))),
        cell("created_at", when(d.created_at)),
        cell("attempts", num(d.attempts)),
        this.canReplay
          ? cell("actions", h("button", { type: "button", class: "replay danger", "data-id": d.id, onclick: () => this.confirm([d]) }, t("dl.replay")))
          : null,
      ),
    );
    if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: this.columns.length, class: "empty" }, t("table.empty"))));
    this.tbody.replaceChildren(...rows);
    const at = (page) => deadLettersHref({ ...this.filter, page });
    replace(
      this.pager,
      letters.pages > 1
        ? [
            letters.page > 1 ? link(at(letters.page - 1), t("table.prev"), { class: "link-button", id: "dl-prev" }) : null,
            h("span", {}, t("dl.page", { page: num(letters.page), pages: num(letters.pages) })),
            letters.page < letters.pages ? link(at(letters.page + 1), t("table.next"), { class: "link-button", id: "dl-next" }) : null,
          ]
        : [],
    );
  }

  /** Ask before replaying (a modal dialog: the action is audited under the operator's name). */
  confirm(letters) {
    if (!letters?.length) return;
    const one = letters.length === 1 ? letters[0] : null;
    const actor = `token:${viewer?.name ?? ""}`;
    const text = one
      ? t("dl.confirm.one", { id: one.id, ref: one.local_reference ?? redact(one.ref), service: one.service_id, actor })
      : t("dl.confirm.many", { n: num(letters.length), actor });
    replace(
      this.dialog,
      h("h2", { id: "dl-confirm-h" }, t("dl.confirm.title")),
      h("p", {}, redact(text)),
      h(
        "div",
        { class: "dialog-buttons" },
        h("button", { type: "button", id: "dl-confirm-cancel", onclick: () => this.dialog.close() }, t("dl.confirm.cancel")),
        h(
          "button",
          {
            type: "button",
            id: "dl-confirm-ok",
            class: "danger",
            onclick: () => {
              this.dialog.close();
              this.replay(letters.map((d) => d.id));
            },
          },
          t("dl.confirm.ok"),
        ),
      ),
    );
    this.dialog.showModal();
    this.dialog.querySelector("#dl-confirm-cancel").focus(); // the safe choice has the focus
  }

  async replay(ids) {
    this.message.hidden = false;
    this.message.classList.remove("problem");
    try {
      const result = await post("/dead-letters/replay", { ids });
      const parts = [];
      if (result.replayed.length)
        parts.push(t("dl.replayed", { n: num(result.replayed.length), seqs: result.replayed.map((r) => r.audit_seq).join(", #") }));
      if (result.not_open.length) parts.push(t("dl.not_open", { n: num(result.not_open.length) }));
      this.message.textContent = parts.join(" ");
      this.update(await this.fetch()); // the page updates: the replayed letters are no longer open
    } catch (error) {
      this.message.classList.add("problem");
      this.message.textContent = `${t("error.load")}: ${error.message}`;
    }
  }
}
