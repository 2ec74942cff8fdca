// A sortable, filterable, paginated table. Only the visible page of rows is in the DOM, so 552 regions
// or a region's 180 services stay fast; sort and filter work on the rows already fetched (no per-row fetch).
// Its sort/filter/page state outlives auto-refreshes and language switches (kept per table id).

import { h, replace } from "./dom.js";
import { t } from "./i18n.js";

const STATES = ["live", "onboarding", "failing", "stalled", "stuck"];
const remembered = new Map();

const missing = (v) => v === null || v === undefined || v === "";
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" }); // one, reused: fast

function compare(a, b) {
  const missingA = missing(a);
  const missingB = missing(b);
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1; // empty cells last
  if (typeof a === "number" && typeof b === "number") return a - b;
  return collator.compare(String(a), String(b));
}

export class DataTable {
  /**
   * @param {object} o
   * @param {string} o.id           stable id (state is remembered under it)
   * @param {string} o.caption      visible caption
   * @param {Array}  o.columns      [{key, label, num?, render?(row), value?(row)}]
   * @param {Array}  o.rows
   * @param {Array}  [o.searchKeys] row fields the text box searches
   * @param {string} [o.stateKey]   row field of the state filter (no state filter when absent)
   * @param {object} [o.sort]       default {key, dir: 1|-1}
   * @param {number} [o.pageSize]
   * @param {string} [o.memo]       key its state is remembered under (default: id)
   */
  constructor({ id, caption, columns, rows, searchKeys = [], stateKey = null, sort = null, pageSize = 50, memo = null }) {
    Object.assign(this, { id, caption, columns, searchKeys, stateKey, pageSize });
    const key = memo ?? id;
    this.state = remembered.get(key) ?? { q: "", stateFilter: "", sortKey: sort?.key ?? null, dir: sort?.dir ?? 1, page: 0 };
    remembered.set(key, this.state);
    this.element = this.build();
    this.setRows(rows);
  }

  /** Replace the rows (auto-refresh) keeping sort, filter and page. */
  setRows(rows) {
    this.rows = rows.map((row) => ({
      row,
      text: this.searchKeys.map((k) => String(row[k] ?? "")).join(" ").toLowerCase(),
    }));
    this.renderBody();
  }

  /** Show only rows in `state` ("" for all), as the overview's counters do. */
  filterState(state) {
    this.state.stateFilter = state;
    this.state.page = 0;
    if (this.stateSelect) this.stateSelect.value = state;
    this.renderBody();
  }

  build() {
    const filterId = `${this.id}-q`;
    this.search = h("input", {
      id: filterId,
      type: "search",
      value: this.state.q,
      placeholder: t("table.filter.placeholder"),
      autocomplete: "off",
      oninput: (e) => {
        this.state.q = e.target.value;
        this.state.page = 0;
        this.renderBody();
      },
    });
    const controls = h("div", { class: "table-controls" }, h("label", { for: filterId }, t("table.filter")), this.search);
    if (this.stateKey) {
      const selectId = `${this.id}-state`;
      this.stateSelect = h(
        "select",
        {
          id: selectId,
          onchange: (e) => this.filterState(e.target.value),
        },
        h("option", { value: "" }, t("state.all")),
        STATES.map((s) => h("option", { value: s }, t(`state.${s}`))),
      );
      this.stateSelect.value = this.state.stateFilter;
      controls.append(h("label", { for: selectId }, t("table.state")), this.stateSelect);
    }
    controls.append(
      h(
        "button",
        {
          type: "button",
          class: "link-button",
          onclick: () => {
            this.state.q = "";
            this.search.value = "";
            this.filterState("");
          },
        },
        t("table.clear"),
      ),
    );
    this.headRow = h("tr");
    this.headCells = this.columns.map((col) => {
      const th = h("th", { scope: "col", class: col.num ? "num" : null, "data-key": col.key });
      th.append(
        h(
          "button",
          {
            type: "button",
            class: "sort",
            title: t("table.sort", { col: col.label }),
            onclick: () => this.sortBy(col.key),
          },
          col.label,
          h("span", { class: "arrow", "aria-hidden": "true" }),
        ),
      );
      this.headRow.append(th);
      return th;
    });
    this.tbody = h("tbody");
    this.status = h("p", { class: "table-status", "aria-live": "polite" });
    this.pager = h("nav", { class: "pager", "aria-label": this.caption });
    const table = h(
      "table",
      { id: this.id, class: "data stack" },
      h("caption", {}, this.caption),
      h("thead", {}, this.headRow),
      this.tbody,
    );
    return h("div", { class: "table-block" }, controls, h("div", { class: "table-scroll" }, table), this.status, this.pager);
  }

  sortBy(key) {
    if (this.state.sortKey === key) this.state.dir = -this.state.dir;
    else Object.assign(this.state, { sortKey: key, dir: 1 });
    this.state.page = 0;
    this.renderBody();
  }

  /** The rows in the current sort order; sorted once per rows/sort change, so typing a filter never re-sorts. */
  sorted() {
    const key = `${this.state.sortKey}|${this.state.dir}`;
    if (this.sortedFor === this.rows && this.sortedKey === key) return this.sortedRows;
    let rows = this.rows;
    const col = this.columns.find((c) => c.key === this.state.sortKey);
    if (col) {
      const value = col.value ?? ((row) => row[col.key]);
      const dir = this.state.dir;
      rows = rows
        .map((r) => ({ r, v: value(r.row) }))
        // empty values stay last in both directions
        .sort((a, b) => (missing(a.v) || missing(b.v) ? compare(a.v, b.v) : dir * compare(a.v, b.v)))
        .map((x) => x.r);
    }
    Object.assign(this, { sortedFor: this.rows, sortedKey: key, sortedRows: rows });
    return rows;
  }

  visible() {
    const q = this.state.q.trim().toLowerCase();
    let rows = this.sorted();
    if (q) rows = rows.filter((r) => r.text.includes(q));
    if (this.stateKey && this.state.stateFilter) rows = rows.filter((r) => r.row[this.stateKey] === this.state.stateFilter);
    return rows;
  }

  renderBody() {
    const rows = this.visible();
    const pages = Math.max(1, Math.ceil(rows.length / this.pageSize));
    this.state.page = Math.min(this.state.page, pages - 1);
    const start = this.state.page * this.pageSize;
    const slice = rows.slice(start, start + this.pageSize);
    const frag = document.createDocumentFragment();
    for (const { row } of slice) {
      const tr = h("tr");
      for (const col of this.columns) {
        const content = col.render ? col.render(row) : row[col.key];
        // data-label: on a narrow screen the header row is folded away and each cell shows its label
        const cell = h(col.header ? "th" : "td", {
          class: col.num ? "num" : col.cls,
          scope: col.header ? "row" : null,
          "data-key": col.key,
          "data-label": col.label,
        });
        if (content instanceof Node) cell.append(content);
        else cell.textContent = content === null || content === undefined ? t("none") : String(content);
        tr.append(cell);
      }
      frag.append(tr);
    }
    if (!slice.length) frag.append(h("tr", {}, h("td", { colspan: this.columns.length, class: "empty" }, t("table.empty"))));
    this.tbody.replaceChildren(frag);
    for (const th of this.headCells) {
      const active = th.dataset.key === this.state.sortKey;
      if (active) th.setAttribute("aria-sort", this.state.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
      th.querySelector(".arrow").textContent = active ? (this.state.dir > 0 ? " ▲" : " ▼") : "";
    }
    this.status.textContent = t("table.rows", { shown: slice.length, total: rows.length });
    this.element.dataset.total = String(rows.length);
    replace(
      this.pager,
      pages > 1
        ? [
            h("button", { type: "button", disabled: this.state.page === 0, onclick: () => this.goto(this.state.page - 1) }, t("table.prev")),
            h("span", {}, t("table.page", { page: this.state.page + 1, pages })),
            h("button", { type: "button", disabled: this.state.page >= pages - 1, onclick: () => this.goto(this.state.page + 1) }, t("table.next")),
          ]
        : [],
    );
  }

  goto(page) {
    this.state.page = page;
    this.renderBody();
  }
}
