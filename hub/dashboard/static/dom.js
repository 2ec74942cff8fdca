// Tiny DOM helpers. Data from the API only ever reaches the page as text nodes (never innerHTML),
// so a hostile region name or error message cannot inject markup.

import { lang, locale, t } from "./i18n.js";

/**
 * Create an element: h("a", {href: "#/", class: "x", onclick: fn}, "text", child...).
 * Attributes starting with "on" become listeners; null/undefined/false attributes are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Append children (strings, numbers, nodes, nested arrays; null skipped) to `el`. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// Defence in depth: free text from the API (error messages, reasons) is masked again here, so that a
// 16-digit NIK or an Indonesian phone number that slipped into a message is never shown in full.
const NIK_RE = /\d{16}/g;
const PHONE_RE = /(?:\+62|\b62|\b0)8[\d\- ]{7,13}\d/g;

/** Mask NIK-like and phone-like digit runs in free text (a NIK keeps its first 4 digits, a phone its first 4
 * and last 2), as the hub masks them. */
export function redact(text) {
  if (text === null || text === undefined) return "";
  return String(text)
    .replace(NIK_RE, (m) => m.slice(0, 4) + "*".repeat(12))
    .replace(PHONE_RE, (m) => {
      const digits = m.replace(/\D/g, "");
      return `${m.startsWith("+") ? "+" : ""}${digits.slice(0, 4)}${"*".repeat(Math.max(digits.length - 6, 3))}${digits.slice(-2)}`;
    });
}

/** A number in the active locale (e.g. 100.000 in Indonesian). */
export function num(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return t("none");
  return new Intl.NumberFormat(locale()).format(value);
}

/** A duration in seconds as "3 j 5 mnt" / "3 h 5 min". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return t("none");
  let s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s} ${t("unit.s")}`;
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const m = Math.floor(s / 60);
  const parts = [];
  if (d) parts.push(`${d} ${t("unit.d")}`);
  if (hours) parts.push(`${hours} ${t("unit.h")}`);
  if (m && !d) parts.push(`${m} ${t("unit.m")}`);
  return parts.join(" ");
}

/** An ISO timestamp as a short local date-time, or "never". */
export function when(iso) {
  if (!iso) return t("never");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short" });
}

/** The time of day of an ISO timestamp or Date (HH:MM:SS). */
export function clock(value) {
  const date = value instanceof Date ? value : new Date(value);
  return date.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** A coloured badge for a region/service state, labelled in the active language. */
export function stateBadge(state) {
  return h("span", { class: `badge state-${state}`, "data-state": state }, t(`state.${state}`));
}

/** The language code for <html lang>. */
export function htmlLang() {
  return lang();
}
