/* Conduit's one date format in the browser: "1 Dec 2026, 10:48 UTC+0100", the same text as
   the server's |when filter (cards/templatetags/conduit_time.py) and the console's lists.

   The zone is the viewer's: their setting when they chose one (<html data-time-zone-setting>),
   else the browser's. The browser's zone is kept in the `conduit_tz` cookie so the server
   renders the next pages in it; elements written before it knew (<time data-when>) are
   rewritten here. Loaded as a module from this origin (CSP script-src 'self'). */

const COOKIE = "conduit_tz";
const NO_VALUE = "—";

export function viewerTimeZone() {
  const chosen = document.documentElement.dataset.timeZoneSetting;
  if (chosen) return chosen;
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch (error) {
    return "UTC";
  }
}

/* "GMT+01:00" / "GMT" (Intl's longOffset) as "+0100" / "+0000", like Django's "O". */
function offsetText(longOffset) {
  const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(longOffset || "");
  return match ? `${match[1]}${match[2]}${match[3]}` : "+0000";
}

/* A date-time (ISO 8601 with a zone) in the viewer's zone; a bare date ("2024-06-01") as
   "1 Jun 2024", without time or zone (a due date is a day, not an instant). */
export function formatWhen(value) {
  if (!value) return NO_VALUE;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const date = new Date(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) return value;
  const options = dateOnly
    ? { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" }
    : { timeZone: viewerTimeZone(), day: "numeric", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "longOffset" };
  let parts;
  try {
    parts = new Intl.DateTimeFormat("en-US", options).formatToParts(date);
  } catch (error) {
    parts = new Intl.DateTimeFormat("en-US", { ...options, timeZone: "UTC" }).formatToParts(date);
  }
  const part = (type) => (parts.find((item) => item.type === type) || {}).value || "";
  const day = `${Number(part("day"))} ${part("month")} ${part("year")}`;
  if (dateOnly) return day;
  return `${day}, ${part("hour")}:${part("minute")} UTC${offsetText(part("timeZoneName"))}`;
}

function rememberBrowserZone() {
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  const current = document.cookie.split("; ").find((item) => item.startsWith(`${COOKIE}=`));
  if (zone && current !== `${COOKIE}=${encodeURIComponent(zone)}`) {
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${COOKIE}=${encodeURIComponent(zone)}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  }
}

/* Only on Conduit's own pages, which say the viewer's setting; the console's pages (no such
   attribute) keep the server's text, already in the setting's zone when there is one. */
export function rewriteTimes(root = document) {
  if (!document.documentElement.hasAttribute("data-time-zone-setting")) return;
  for (const node of root.querySelectorAll("time[data-when]")) {
    node.textContent = formatWhen(node.getAttribute("datetime"));
  }
}

rememberBrowserZone();
rewriteTimes();
