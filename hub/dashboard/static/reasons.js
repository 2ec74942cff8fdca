// The hub's own fixed reason texts (hub/health/report.py, hub/health/stuck.py, the ledger's dead-letter
// reasons) in Bahasa Indonesia. Only the hub's sentences are translated: what a local system or the national
// layer said (an HTTP error, a refusal message) is embedded as it came, never rewritten, so an operator can
// still search for it. Unknown texts are shown unchanged. English is the API's own text.

import { lang } from "./i18n.js";

const FLOW = { outbound: "keluar", inbound: "masuk", walk_in: "walk-in", catalogue: "katalog" };
const flow = (f) => FLOW[f] ?? f;
const span = (text) => text.replace(/(\d+) h (\d+) min/g, "$1 j $2 mnt").replace(/(\d+) min\b/g, "$1 mnt");

// [pattern, (match, translate) => text]; tried in order, the first that matches the whole text wins.
const RULES = [
  // suffixes the region's reason may carry: translated around the reason they follow
  [/^(.*); (\d+) application\(s\) waiting on the national side, not pulled yet$/s, (m, tr) => `${tr(m[1])}; ${m[2]} permohonan menunggu di layanan nasional, belum diambil`],
  [
    /^(?:(.*?); )?(\d+) of (\d+) service\(s\) failing, below the (\S+) that marks the region failing; latest: (\S+): (.*)$/s,
    (m, tr) =>
      `${m[1] ? `${tr(m[1])}; ` : ""}${m[2]} dari ${m[3]} layanan gagal, di bawah ${m[4]} yang menandai daerah gagal; terakhir: ${m[5]}: ${tr(m[6])}`,
  ],
  [/^(\d+) failing service\(s\); latest: (\S+): (.*)$/s, (m, tr) => `${m[1]} layanan gagal; terakhir: ${m[2]}: ${tr(m[3])}`],
  [/^(\d+) stuck service\(s\); e\.g\. (\S+): (.*)$/s, (m, tr) => `${m[1]} layanan tersendat; mis. ${m[2]}: ${tr(m[3])}`],
  [/^(\d+) stalled service\(s\); e\.g\. (\S+): (.*)$/s, (m, tr) => `${m[1]} layanan macet; mis. ${m[2]}: ${tr(m[3])}`],
  [/^(\d+) service\(s\) published; none synced yet$/, (m) => `${m[1]} layanan terbit; belum ada yang tersinkron`],
  [/^every synced service ran successfully within the threshold$/, () => "setiap layanan tersinkron berhasil dalam batas waktu"],
  [/^synced recently$/, () => "baru saja tersinkron"],
  [/^published; no sync run yet$/, () => "terbit; belum pernah disinkronkan"],
  [/^sync runs started; none finished successfully yet$/, () => "sinkronisasi sudah berjalan; belum ada yang selesai dengan sukses"],
  [/^no successful sync run for (.+)$/, (m) => `tidak ada sinkronisasi yang berhasil selama ${span(m[1])}`],
  [/^(\w+): retrying: (.*)$/s, (m) => `${flow(m[1])}: mencoba lagi: ${m[2]}`],
  [/^(\w+): fatal error: (.*)$/s, (m) => `${flow(m[1])}: galat fatal: ${m[2]}`],
  [
    /^(\w+): stuck: (application|status event) (\S+) holds the (delivery queue|status push queue) after (\d+) attempts: (.*)$/s,
    (m) =>
      `${flow(m[1])}: tersendat: ${m[2] === "application" ? "permohonan" : "peristiwa status"} ${m[3]} menahan ${
        m[4] === "delivery queue" ? "antrean pengiriman" : "antrean pengiriman status"
      } setelah ${m[5]} percobaan: ${m[6]}`,
  ],
  [
    /^(\w+): stuck: dead letter (\S+) holds the (delivery queue|status push queue) until it is replayed \(mpphub replay\): (.*)$/s,
    (m) =>
      `${flow(m[1])}: tersendat: surat mati ${m[2]} menahan ${
        m[3] === "delivery queue" ? "antrean pengiriman" : "antrean pengiriman status"
      } sampai dikirim ulang (mpphub replay): ${m[4]}`,
  ],
  // dead letters' reasons
  [/^gave up after (\d+) attempts: (.*)$/s, (m) => `menyerah setelah ${m[1]} percobaan: ${m[2]}`],
  [/^local status (.*) is not in the status_map of (\S+) (\S+)$/, (m) => `status lokal ${m[1]} tidak ada dalam status_map ${m[2]} ${m[3]}`],
  [/^illegal transition (\S+) -> (\S+) \(local (.*)\)$/, (m) => `transisi tidak sah ${m[1]} -> ${m[2]} (lokal ${m[3]})`],
  [/^walk-in form does not fit: (.*)$/s, (m) => `formulir walk-in tidak sesuai: ${m[1]}`],
  [/^row of no service$/, () => "baris tanpa layanan"],
  [/^rejected$/, () => "ditolak"],
];

/** A hub reason in Indonesian (the embedded local or national message kept as it came). */
export function translateReason(text, depth = 0) {
  if (text === null || text === undefined || text === "") return text;
  const value = String(text);
  if (depth > 4) return value; // nested at most region -> service -> stuck: deeper is not the hub's
  for (const [pattern, render] of RULES) {
    const match = pattern.exec(value);
    if (match) return render(match, (inner) => translateReason(inner, depth + 1));
  }
  return value;
}

/** The reason as shown in the active language: translated in Indonesian, the API's text in English. */
export function reasonText(text) {
  return lang() === "id" ? translateReason(text) : text;
}
