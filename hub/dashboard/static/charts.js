// Small line charts as inline SVG: no library, nothing downloaded. Scales to its container's width.

import { h, num } from "./dom.js";
import { locale, t } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 640;
const H = 220;
const PAD = { left: 56, right: 12, top: 14, bottom: 30 };

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  // coordinates rounded to 0.1: shorter markup, and no long digit runs that look like ids or phone numbers
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, typeof value === "number" ? String(Math.round(value * 10) / 10) : String(value));
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

/** A "nice" upper bound for the y axis (1, 2, 5 x 10^n). */
function niceMax(value) {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * exp) return step * exp;
  return 10 * exp;
}

/**
 * A line chart of `points` (objects with `at` = ISO hour) for each of `lines` ({key, label, cls}).
 * `format` renders y values (tick labels and the accessible summary). Returns a <figure>.
 */
export function lineChart({ title, points, lines, format = num, id }) {
  const figure = h("figure", { class: "chart", id });
  const caption = h("figcaption", {}, title);
  figure.append(caption);
  if (!points.length) {
    figure.append(h("p", { class: "chart-empty" }, t("chart.empty")));
    return figure;
  }
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(...lines.flatMap((l) => points.map((p) => Number(p[l.key]) || 0))));
  const x = (i) => PAD.left + (points.length === 1 ? innerW / 2 : (i * innerW) / (points.length - 1));
  const y = (v) => PAD.top + innerH - (Math.max(0, Number(v) || 0) / max) * innerH;

  const latest = points[points.length - 1];
  const summary = lines.map((l) => `${l.label}: ${format(latest[l.key])}`).join("; ");
  const titleId = `${id}-title`;
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-labelledby": titleId,
    preserveAspectRatio: "none",
    class: "chart-svg",
  });
  svg.append(s("title", { id: titleId }, `${title}. ${summary}`));

  // horizontal grid and y labels at 0, 1/2 and max
  for (const frac of [0, 0.5, 1]) {
    const yy = y(max * frac);
    svg.append(s("line", { x1: PAD.left, x2: W - PAD.right, y1: yy, y2: yy, class: "grid" }));
    svg.append(s("text", { x: PAD.left - 6, y: yy + 4, "text-anchor": "end", class: "tick" }, format(max * frac)));
  }
  // x labels: every 6th hour
  const hourFmt = new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" });
  points.forEach((p, i) => {
    if (i % 6 !== 0 && i !== points.length - 1) return;
    const date = new Date(p.at);
    const label = Number.isNaN(date.getTime()) ? String(p.at) : hourFmt.format(date);
    const anchor = i === 0 ? "start" : i === points.length - 1 ? "end" : "middle";
    svg.append(s("text", { x: x(i), y: H - 8, "text-anchor": anchor, class: "tick" }, label));
  });
  for (const line of lines) {
    const d = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p[line.key]).toFixed(1)}`).join(" ");
    svg.append(s("path", { d, class: `line ${line.cls}`, "data-series": line.key }));
    points.forEach((p, i) => {
      const dot = s("circle", { cx: x(i), cy: y(p[line.key]), r: 2.5, class: `dot ${line.cls}` });
      dot.append(s("title", {}, `${p.at}: ${line.label} ${format(p[line.key])}`));
      svg.append(dot);
    });
  }
  figure.append(svg);
  figure.append(
    h(
      "ul",
      { class: "legend" },
      lines.map((l) => h("li", {}, h("span", { class: `swatch ${l.cls}`, "aria-hidden": "true" }), l.label)),
    ),
  );
  return figure;
}
