// A link's page: what it is, an edit form (If-Match), disable or delete, its destination history and statistics.

import { api, linkPath } from "./api.js";
import { barsChart, seriesChart } from "./charts.js";
import { confirmAction, download, field, formError, h, input, select, showError, statusBadge, when } from "./dom.js";
import { linkFields, readLinkFields } from "./linkform.js";
import { shortUrlPanel } from "./panels.js";

const BREAKDOWNS = [["referrers", "Referrers"], ["countries", "Countries"], ["devices", "Devices"], ["browsers", "Browsers"], ["os", "Operating systems"], ["sources", "Sources"]];

export async function linkView(domain, code) {
  const where = { domain };
  const { data: link, etag } = await api("GET", linkPath({ code }), { query: where });
  const page = h("div", {});
  const title = h("h1", { tabindex: "-1" }, link.title || link.code, " ", statusBadge(link.status));
  page.append(title,
    shortUrlPanel(link),
    h("p", { class: "hint" }, `Version ${link.version} · created ${when(link.created_at)}`, link.updated_at ? ` · changed ${when(link.updated_at)}` : "",
      link.expires_at ? ` · expires ${when(link.expires_at)}` : ""),
    link.status === "deleted" ? h("p", {}, "This link was deleted: it cannot be changed, and its code is never given out again.") : editSection(link, etag, where),
    statsSection(link, where),
    await historySection(link, where));
  return page;
}

function editSection(link, etag, where) {
  const form = h("form", { class: "card", novalidate: true },
    h("h2", {}, "Edit"), ...linkFields(link), formError(),
    h("button", { type: "submit" }, "Save changes"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = readLinkFields(form, link);
    if (!Object.keys(body).length) { showError(form, { message: "Nothing to save: no field was changed." }); return; }
    try {
      await api("PATCH", linkPath(link), { query: where, body, headers: { "If-Match": etag } });
      reload();
    } catch (error) {
      if (error.status === 412 || error.status === 409) {
        showError(form, { message: "Someone else changed this link after you opened it, so your change was not saved. Reload the page to see their change, then make yours again." });
        form.querySelector(".form-error").append(" ", h("button", { type: "button", class: "quiet", onclick: reload }, "Reload"));
      } else {
        showError(form, error);
      }
    }
  });
  const disabled = link.status === "disabled";
  const actions = h("div", { class: "actions" },
    confirmAction(disabled ? "Enable" : "Disable", disabled ? "Enable this link? Visitors will be redirected again." : "Disable this link? Visitors will get “no longer available” until you enable it.",
      async () => { await api("PATCH", linkPath(link), { query: where, body: { disabled: !disabled }, headers: { "If-Match": etag } }); reload(); },
      { danger: !disabled }),
    confirmAction("Delete", "Delete this link for good? It stops redirecting, cannot be restored, and its code is never reused.",
      async () => { await api("DELETE", linkPath(link), { query: where }); window.location.hash = "#/links"; }));
  return h("section", {}, form, actions);
}

function reload() {
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

async function historySection(link, where) {
  const section = h("section", { class: "card" }, h("h2", {}, "Destination history"));
  try {
    const { data } = await api("GET", linkPath(link, "/history"), { query: where });
    section.append(data.history.length
      ? h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["When", "From", "To", "By", "Version"].map((name) => h("th", { scope: "col" }, name)))),
        h("tbody", {}, data.history.map((change) => h("tr", {},
          h("td", {}, when(change.changed_at)), h("td", { class: "destination" }, change.old_url),
          h("td", { class: "destination" }, change.new_url), h("td", {}, change.changed_by), h("td", { class: "number" }, String(change.version)))))))
      : h("p", {}, "The destination was never changed."));
  } catch (error) {
    section.append(h("p", { class: "form-error", role: "alert" }, error.sentence));
  }
  return section;
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function statsSection(link, where) {
  const today = new Date();
  const form = h("form", { class: "filters", "aria-label": "Statistics range" },
    field("By", select("granularity", [["day", "Day"], ["hour", "Hour"]], "day")),
    field("From", input("from", { type: "date", value: isoDay(new Date(today.getTime() - 6 * 86400000)) }), { name: "range" }),
    field("To", input("to", { type: "date", value: isoDay(today) })),
    h("button", { type: "submit" }, "Show"),
    h("button", { type: "button", class: "quiet", name: "csv" }, "Download CSV"),
    formError());
  const body = h("div", { "aria-live": "polite" });
  const range = () => {
    const data = new FormData(form);
    return { ...where, granularity: data.get("granularity"), from: data.get("from"), to: data.get("to") };
  };
  const load = async () => {
    try {
      const { data } = await api("GET", linkPath(link, "/stats"), { query: range() });
      body.replaceChildren(...statsBody(data));
    } catch (error) {
      body.replaceChildren();
      showError(form, error);
    }
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  form.elements.csv.addEventListener("click", async () => {
    try {
      const { data } = await api("GET", linkPath(link, "/stats"), { query: range(), accept: "text/csv" });
      download(`${link.code}-clicks.csv`, new Blob([data], { type: "text/csv" }));
    } catch (error) {
      showError(form, error);
    }
  });
  load();
  return h("section", { class: "card stats" }, h("h2", {}, "Statistics"), form, body);
}

function statsBody(stats) {
  const totals = stats.totals;
  const facts = [["Clicks", totals.clicks], ["People", totals.human], ["Bots", totals.bots], ["Previews", totals.previews], ["Unique visitors", totals.unique_visitors]];
  return [
    h("ul", { class: "totals" }, facts.filter(([, value]) => value !== null).map(([name, value]) =>
      h("li", {}, h("span", { class: "total" }, String(value)), h("span", {}, name)))),
    h("figure", {}, seriesChart(stats.series, stats.granularity),
      h("figcaption", {}, `Clicks by ${stats.granularity}, ${bucketName(stats.series[0]?.start, stats.granularity)} to ${bucketName(stats.series.at(-1)?.start, stats.granularity)} (UTC)`)),
    stats.referrers === null
      ? h("p", { class: "hint" }, "Referrers, countries, devices, browsers and systems are counted by day: choose “Day” to see them.")
      : h("div", { class: "breakdowns" }, BREAKDOWNS.map(([key, name]) => h("figure", {}, h("h3", {}, name),
        stats[key].length ? barsChart(name, stats[key]) : h("p", { class: "hint" }, "No clicks in this range.")))),
  ];
}

function bucketName(iso, granularity) {
  if (!iso) return "—";
  const options = granularity === "hour"
    ? { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }
    : { dateStyle: "medium", timeZone: "UTC" };
  return new Date(iso).toLocaleString(undefined, options);
}
