// The nation at a glance: a tile map (grid cartogram) of the 38 provinces, each tile coloured by its
// province's health and leading to it. The grid is a static table below — nothing is downloaded, no map
// library — placed roughly as the islands lie: Aceh top left, Sumatra down to Lampung, Java, Bali and
// Nusa Tenggara along the bottom, Kalimantan and Sulawesi in the middle, Maluku and the Papua provinces
// on the right.

import { get } from "./api.js";
import { h, num, replace } from "./dom.js";
import { t } from "./i18n.js";

/** [Kemendagri code, ISO 3166-2:ID abbreviation, name, row, column] of every province. */
export const PROVINCES = [
  ["11", "AC", "Aceh", 0, 0],
  ["12", "SU", "Sumatera Utara", 1, 1],
  ["21", "KR", "Kepulauan Riau", 1, 3],
  ["13", "SB", "Sumatera Barat", 2, 1],
  ["14", "RI", "Riau", 2, 2],
  ["15", "JA", "Jambi", 3, 2],
  ["19", "BB", "Kepulauan Bangka Belitung", 3, 4],
  ["17", "BE", "Bengkulu", 4, 2],
  ["16", "SS", "Sumatera Selatan", 4, 3],
  ["18", "LA", "Lampung", 5, 3],
  ["31", "JK", "Daerah Khusus Ibukota Jakarta", 5, 5],
  ["36", "BT", "Banten", 6, 4],
  ["32", "JB", "Jawa Barat", 6, 5],
  ["33", "JT", "Jawa Tengah", 6, 6],
  ["35", "JI", "Jawa Timur", 6, 7],
  ["34", "YO", "Daerah Istimewa Yogyakarta", 7, 6],
  ["51", "BA", "Bali", 6, 8],
  ["52", "NB", "Nusa Tenggara Barat", 6, 9],
  ["53", "NT", "Nusa Tenggara Timur", 6, 10],
  ["65", "KU", "Kalimantan Utara", 0, 7],
  ["61", "KB", "Kalimantan Barat", 1, 5],
  ["62", "KT", "Kalimantan Tengah", 1, 6],
  ["64", "KI", "Kalimantan Timur", 1, 7],
  ["63", "KS", "Kalimantan Selatan", 2, 7],
  ["75", "GO", "Gorontalo", 1, 9],
  ["71", "SA", "Sulawesi Utara", 1, 10],
  ["76", "SR", "Sulawesi Barat", 2, 8],
  ["72", "ST", "Sulawesi Tengah", 2, 9],
  ["73", "SN", "Sulawesi Selatan", 3, 8],
  ["74", "SG", "Sulawesi Tenggara", 3, 9],
  ["82", "MU", "Maluku Utara", 1, 11],
  ["81", "MA", "Maluku", 3, 11],
  ["96", "PD", "Papua Barat Daya", 1, 12],
  ["92", "PB", "Papua Barat", 1, 13],
  ["91", "PA", "Papua", 1, 14],
  ["94", "PT", "Papua Tengah", 2, 13],
  ["95", "PE", "Papua Pegunungan", 2, 14],
  ["93", "PS", "Papua Selatan", 3, 14],
];

const ROWS = Math.max(...PROVINCES.map((p) => p[3])) + 1;
const COLUMNS = Math.max(...PROVINCES.map((p) => p[4])) + 1;

/** A province's name from the static table (a province with no published service is in no API answer). */
export function provinceName(code) {
  return PROVINCES.find((p) => p[0] === code)?.[2] ?? null;
}

/**
 * A province's one state, from its regions' (a /provinces row): failing first, then stuck, stalled,
 * live; onboarding while every region is; "none" when no region of it has a published service.
 */
export function provinceState(row) {
  if (!row || !row.regions) return "none";
  for (const state of ["failing", "stuck", "stalled"]) if (row[state] > 0) return state;
  if (row.live > 0) return "live";
  return "onboarding";
}

function stateLabel(state) {
  return state === "none" ? t("map.none") : t(`state.${state}`);
}

/** What a tile says to a screen reader (and in its tooltip): the province, its state and its counts. */
function tileLabel(name, code, state, row) {
  const parts = [`${name} (${code})`, stateLabel(state)];
  if (row?.regions) {
    parts.push(t("map.regions", { n: num(row.regions) }));
    const unwell = ["failing", "stuck", "stalled"].filter((s) => row[s] > 0).map((s) => `${num(row[s])} ${t(`state.${s}`).toLowerCase()}`);
    if (unwell.length) parts.push(unwell.join(", "));
    if (row.dead_letters) parts.push(t("dl.badge", { n: num(row.dead_letters) }));
  }
  return parts.join(" — ");
}

/** The tile map of `provinces` (the /provinces rows) as a <section>: 38 links, in a box that scrolls alone. */
export function tileMap(provinces) {
  const byCode = new Map(provinces.map((p) => [p.code, p]));
  // in reading order (row by row), so the tab order follows what the eye sees
  const ordered = [...PROVINCES].sort((a, b) => a[3] - b[3] || a[4] - b[4]);
  const tiles = ordered.map(([code, abbr, name, row, col]) => {
    const data = byCode.get(code);
    const state = provinceState(data);
    const label = tileLabel(data?.name ?? name, code, state, data);
    const tile = h(
      "a",
      {
        class: `tile state-${state}`,
        href: `#/province/${encodeURIComponent(code)}`,
        id: `tile-${code}`,
        "data-code": code,
        "data-state": state,
        "aria-label": label,
        title: label,
      },
      h("span", { class: "tile-abbr", "aria-hidden": "true" }, abbr),
      h("span", { class: "tile-count", "aria-hidden": "true" }, data?.regions ? num(data.regions) : ""),
    );
    // placed through the CSSOM: the page's CSP refuses style attributes, not style properties set by script
    tile.style.gridRow = String(row + 1);
    tile.style.gridColumn = String(col + 1);
    return tile;
  });
  const legend = h(
    "ul",
    { class: "legend map-legend" },
    ["live", "onboarding", "stalled", "stuck", "failing", "none"].map((s) =>
      h("li", {}, h("span", { class: `swatch tile-swatch state-${s}`, "aria-hidden": "true" }), stateLabel(s)),
    ),
  );
  const grid = h("nav", { class: "tile-map", id: "tile-map", "aria-label": t("map.title") }, tiles);
  grid.style.gridTemplateColumns = `repeat(${COLUMNS}, minmax(2.6rem, 4.2rem))`;
  grid.style.gridTemplateRows = `repeat(${ROWS}, auto)`;
  return h(
    "section",
    { class: "tile-map-block", "aria-labelledby": "map-h" },
    h("h2", { id: "map-h" }, t("map.title")),
    h("p", { class: "note" }, t("map.intro")),
    h("div", { class: "tile-map-scroll" }, grid),
    legend,
  );
}

/** The map's own page (#/map): the tile map, then the provinces table's link for the numbers. */
export class MapView {
  async fetch() {
    return { provinces: await get("/provinces") };
  }

  mount(root, data) {
    this.box = h("div");
    replace(root, h("h1", { tabindex: "-1" }, t("map.page_title")), this.box);
    this.update(data);
  }

  update({ provinces }) {
    const focused = document.activeElement?.id;
    replace(this.box, tileMap(provinces), h("p", {}, h("a", { href: "#/provinces" }, t("map.table_link"))));
    if (focused?.startsWith("tile-")) document.getElementById(focused)?.focus(); // a refresh keeps the focus
  }
}
