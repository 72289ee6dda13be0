// The caller's links, newest first, a page at a time. Tag and status are the API's filters (GET /v1/links);
// search (code or destination) and domain filter the page that was fetched, in the browser.

import { api } from "./api.js";
import { copyButton, field, formError, h, heading, input, safeLink, select, showError, statusBadge, when } from "./dom.js";

const STATUSES = [["", "Any but deleted"], ["active", "Active"], ["expired", "Expired"], ["disabled", "Disabled"], ["deleted", "Deleted"]];
const state = { tag: "", status: "", search: "", domain: "", limit: "25", cursors: [null] };

export async function linksView() {
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter links" },
    field("Search", input("search", { type: "search", value: state.search, maxlength: 200 }), { hint: "Code or destination, on this page" }),
    field("Tag", input("tag", { value: state.tag, maxlength: 64 })),
    field("Status", select("status", STATUSES, state.status)),
    field("Domain", input("domain", { value: state.domain, maxlength: 253 }), { hint: "On this page" }),
    field("Per page", select("limit", [["10", "10"], ["25", "25"], ["50", "50"], ["100", "100"]], state.limit)),
    h("button", { type: "submit" }, "Apply"),
    formError());
  const results = h("div", { "aria-live": "polite" });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const apiFiltersChanged = ["tag", "status", "limit"].some((name) => state[name] !== String(data.get(name) || "").trim());
    for (const name of ["tag", "status", "search", "domain", "limit"]) state[name] = String(data.get(name) || "").trim();
    if (apiFiltersChanged) state.cursors = [null];
    load(form, results);
  });
  load(form, results);
  return h("div", {}, h("div", { class: "title-row" }, heading("Links"), h("a", { href: "#/create", class: "button" }, "Create a link")), form, results);
}

async function load(form, results) {
  results.replaceChildren(h("p", { class: "hint" }, "Loading…"));
  let page;
  try {
    ({ data: page } = await api("GET", "/v1/links", {
      query: { tag: state.tag, status: state.status, limit: state.limit, cursor: state.cursors.at(-1) },
    }));
  } catch (error) {
    results.replaceChildren();
    showError(form, error);
    return;
  }
  const search = state.search.toLowerCase();
  const shown = page.links.filter((link) =>
    (!search || link.code.toLowerCase().includes(search) || link.url.toLowerCase().includes(search)
      || (link.destination || "").toLowerCase().includes(search))
    && (!state.domain || link.domain === state.domain.toLowerCase()));
  const table = h("table", {},
    h("caption", { class: "visually-hidden" }, "Your links, newest first"),
    h("thead", {}, h("tr", {}, ["Short URL", "Destination", "Title", "Clicks", "Status", "Created"].map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, shown.map((link) => h("tr", {},
      h("td", { class: "short" }, h("a", { href: `#/link/${encodeURIComponent(link.domain)}/${encodeURIComponent(link.code)}`, class: "code" }, link.short_url), copyButton(link.short_url)),
      h("td", { class: "destination" }, safeLink(link.destination || link.url)),
      h("td", {}, link.title || ""),
      h("td", { class: "number" }, String(link.clicks ?? 0)),
      h("td", {}, statusBadge(link.status)),
      h("td", {}, when(link.created_at))))));
  const previous = h("button", { type: "button", class: "quiet", disabled: state.cursors.length === 1 }, "Previous page");
  const next = h("button", { type: "button", class: "quiet", disabled: !page.next_cursor }, "Next page");
  previous.addEventListener("click", () => { state.cursors.pop(); load(form, results); });
  next.addEventListener("click", () => { state.cursors.push(page.next_cursor); load(form, results); });
  const filteredOut = page.links.length - shown.length;
  results.replaceChildren(...[
    shown.length ? h("div", { class: "table-wrap" }, table) : h("p", {}, page.links.length ? "No link on this page matches the search." : "No links yet."),
    filteredOut ? h("p", { class: "hint" }, `${filteredOut} link${filteredOut === 1 ? "" : "s"} on this page hidden by the search or domain filter.`) : null,
    h("div", { class: "pager" }, previous, h("span", {}, `Page ${state.cursors.length}`), next)].filter(Boolean));
}
