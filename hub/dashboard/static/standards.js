// How standard the nation's packages are (issue 11): per national template or connector profile, how
// many packages adopt it, in how many regions, on which version, how many lag behind its latest, and the
// adopting packages with the longest overlays — the ones that differ most from the standard. One call
// (GET /api/v1/templates); a region team's token gets the national counts and its own packages only.

import { get } from "./api.js";
import { h, num, replace } from "./dom.js";
import { lang, t } from "./i18n.js";
import { DataTable } from "./table.js";
import { serviceHref } from "./views.js";

const TOP = 5;

/** The template's title in the active language (the index keeps {id, en}). */
const title = (row) => (row.title && (row.title[lang()] || row.title.id)) || "";

/** One line per published version with its adopting packages, the latest marked when there are several. */
function versions(row) {
  const entries = Object.entries(row.by_version ?? {});
  if (!entries.length) return t("none");
  return h(
    "ul",
    { class: "std-versions" },
    entries.map(([version, count]) => {
      const marked = entries.length > 1 && version === row.latest; // one version: nothing to tell apart
      return h("li", { class: marked ? "std-latest" : null }, `${version}: ${num(count)}`, marked ? ` (${t("std.latest")})` : "");
    }),
  );
}

/** The most divergent packages, each linking to its service page, with its overlay's length. */
function divergent(row) {
  if (!row.most_divergent?.length) return t("none");
  return h(
    "ol",
    { class: "std-divergent" },
    row.most_divergent.map((p) =>
      h(
        "li",
        {},
        h("a", { href: serviceHref(p.package_id), class: "service-link" }, p.package_id),
        " ",
        h("span", { class: "std-lines" }, t("std.lines", { n: num(p.overlay_lines) })),
        p.template_version !== row.latest ? h("span", { class: "std-behind" }, ` · ${t("std.on", { v: p.template_version })}`) : "",
      ),
    ),
  );
}

export class StandardsView {
  async fetch() {
    const [templates, me] = await Promise.all([get("/templates", { top: TOP }), get("/me")]);
    return { templates, me };
  }

  mount(root, data) {
    this.table = new DataTable({
      id: "templates",
      caption: t("std.title"),
      rows: data.templates,
      searchKeys: ["id", "kind"],
      sort: { key: "adopting", dir: -1 },
      columns: [
        {
          key: "id",
          label: t("col.template"),
          header: true,
          render: (r) => h("span", {}, h("code", {}, r.id), h("span", { class: "std-title" }, title(r))),
        },
        { key: "kind", label: t("col.kind"), render: (r) => t(`std.kind.${r.kind}`) },
        { key: "adopting", label: t("col.adopting"), num: true, render: (r) => num(r.adopting) },
        { key: "regions", label: t("col.regions"), num: true, render: (r) => num(r.regions) },
        { key: "latest", label: t("col.by_version"), render: versions },
        {
          key: "behind_latest",
          label: t("col.behind"),
          num: true,
          render: (r) => h("span", { class: r.behind_latest ? "std-behind" : null }, num(r.behind_latest)),
        },
        {
          key: "most_divergent",
          label: t(data.me?.role === "region" ? "col.divergent.mine" : "col.divergent"),
          value: (r) => r.most_divergent?.[0]?.overlay_lines ?? 0,
          render: divergent,
        },
      ],
    });
    this.summary = h("p", { class: "table-status", id: "std-summary" });
    replace(
      root,
      h("h1", { tabindex: "-1" }, t("std.title")),
      h("p", { class: "intro" }, t(data.me?.role === "region" ? "std.intro.region" : "std.intro")),
      this.summary,
      this.table.element,
    );
    this.summarise(data.templates);
  }

  /** "9 templates; 13 packages adopt a service template, 9 behind a latest version". */
  summarise(templates) {
    const adopting = templates.filter((r) => r.kind === "service").reduce((n, r) => n + r.adopting, 0);
    const behind = templates.reduce((n, r) => n + r.behind_latest, 0);
    replace(this.summary, t("std.summary", { templates: num(templates.length), adopting: num(adopting), behind: num(behind) }));
  }

  update({ templates }) {
    this.table.setRows(templates);
    this.summarise(templates);
  }
}
