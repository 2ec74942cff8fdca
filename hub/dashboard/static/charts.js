// Small line charts as inline SVG: no library, nothing downloaded. Scales to its container's width.

import { duration, h, num } from "./dom.js";
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

const HOUR_MS = 3_600_000;

// upper bounds of a duration axis: its half and whole read as round minutes, hours or days
const NICE_SECONDS = [60, 120, 600, 1200, 3600, 7200, 4 * 3600, 12 * 3600, 86400, 2 * 86400, 4 * 86400, 10 * 86400];

/** A round upper bound for a y axis of seconds (``duration`` labels): 2 min, 1 h, 4 h, 1 d ... */
function niceSeconds(value) {
  if (!(value > 0)) return 60;
  return NICE_SECONDS.find((bound) => value <= bound) ?? niceMax(value / 86400) * 86400;
}

/**
 * A line chart of `points` (objects with `at` = ISO hour) for each of `lines` ({key, label, cls}).
 * `format` renders y values (tick labels and the accessible summary). Returns a <figure>.
 * With `span` ({since, until}: ISO times) the x axis is time: a point sits at its hour, days are labelled,
 * and a line breaks where hours are missing (no sample then: a gap, never a made-up value).
 */
export function lineChart({ title, points, lines, format = num, id, span = null }) {
  const figure = h("figure", { class: "chart", id });
  const caption = h("figcaption", {}, title);
  figure.append(caption);
  if (!points.length) {
    figure.append(h("p", { class: "chart-empty" }, t("chart.empty")));
    return figure;
  }
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const max = (format === duration ? niceSeconds : niceMax)(Math.max(...lines.flatMap((l) => points.map((p) => Number(p[l.key]) || 0))));
  const start = span ? Date.parse(span.since) : NaN;
  const width = span ? Date.parse(span.until) - start : NaN;
  const timed = width > 0;
  const x = timed
    ? (i) => PAD.left + (Math.min(Math.max(Date.parse(points[i].at) - start, 0), width) / width) * innerW
    : (i) => PAD.left + (points.length === 1 ? innerW / 2 : (i * innerW) / (points.length - 1));
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
  if (timed) dayTicks(svg, start, width, innerW);
  // x labels: every 6th hour
  const hourFmt = new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" });
  if (!timed) points.forEach((p, i) => {
    if (i % 6 !== 0 && i !== points.length - 1) return;
    const date = new Date(p.at);
    const label = Number.isNaN(date.getTime()) ? String(p.at) : hourFmt.format(date);
    const anchor = i === 0 ? "start" : i === points.length - 1 ? "end" : "middle";
    svg.append(s("text", { x: x(i), y: H - 8, "text-anchor": anchor, class: "tick" }, label));
  });
  // a new stroke after a missing hour (time axis): the line does not pretend to know the hours between
  const broken = (i) => i === 0 || (timed && Date.parse(points[i].at) - Date.parse(points[i - 1].at) > 1.5 * HOUR_MS);
  const dots = points.length <= 72; // a fortnight of hours is read from the line; dots would hide it
  for (const line of lines) {
    const d = points.map((p, i) => `${broken(i) ? "M" : "L"}${x(i).toFixed(1)},${y(p[line.key]).toFixed(1)}`).join(" ");
    svg.append(s("path", { d, class: `line ${line.cls}`, "data-series": line.key }));
    points.forEach((p, i) => {
      const alone = broken(i) && (i === points.length - 1 || broken(i + 1)); // an hour between gaps: only a dot shows it
      if (!dots && !alone) return;
      const dot = s("circle", { cx: x(i), cy: y(p[line.key]), r: 2.5, class: `dot ${line.cls}` });
      dot.append(s("title", {}, `${p.at}: ${line.label} ${format(p[line.key])}`));
      svg.append(dot);
    });
  }
  figure.append(svg);
  if (timed) figure.dataset.points = String(points.length);
  figure.append(
    h(
      "ul",
      { class: "legend" },
      lines.map((l) => h("li", {}, h("span", { class: `swatch ${l.cls}`, "aria-hidden": "true" }), l.label)),
    ),
  );
  return figure;
}

/** Day labels along a time axis: at most 8, at local midnights, a grid line at each. */
function dayTicks(svg, start, width, innerW) {
  const dayFmt = new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short" });
  const days = width / (24 * HOUR_MS);
  const every = Math.max(1, Math.ceil(days / 8));
  const first = new Date(start);
  first.setHours(24, 0, 0, 0); // the first local midnight after the start
  for (let at = first.getTime(), n = 0; at < start + width; at += 24 * HOUR_MS, n += 1) {
    if (n % every !== 0) continue;
    const xx = PAD.left + ((at - start) / width) * innerW;
    svg.append(s("line", { x1: xx, x2: xx, y1: PAD.top, y2: H - PAD.bottom, class: "grid day" }));
    svg.append(s("text", { x: xx, y: H - 8, "text-anchor": "middle", class: "tick" }, dayFmt.format(new Date(at))));
  }
}
