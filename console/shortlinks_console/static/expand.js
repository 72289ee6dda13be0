// Expand any short URL: our own links from the table, anything else followed hop by hop by the service.

import { api } from "./api.js";
import { field, formError, h, heading, input, safeLink, showError, statusBadge, when } from "./dom.js";

const STOPPED = {
  loop: "The chain came back to a URL it had already visited.",
  too_many_hops: "The chain was still redirecting after 10 hops.",
  blocked_address: "The next hop is on an internal or private address, which the service never connects to.",
  blocked_port: "The next hop names a port other than 80 or 443, which the service never connects to.",
  timeout: "A site did not answer in time.",
  too_large: "A page was too large to look for a redirect in.",
  connection_failed: "A site could not be reached (unknown name, refused connection or invalid certificate).",
  invalid_location: "A site redirected to something that is not a valid URL.",
  not_http: "A site redirected to something that is not a web address (javascript:, data:, mailto:…).",
};

export async function expandView() {
  const url = input("url", { type: "text", required: true, maxlength: 2048, placeholder: "https://bit.ly/… or care.link/spring" });
  const result = h("section", { "aria-live": "polite", class: "result" });
  const form = h("form", { class: "card", novalidate: true },
    heading("Expand a link"),
    h("p", {}, "Paste any short URL to see where it leads, without visiting it."),
    field("Short URL", url), formError(),
    h("button", { type: "submit" }, "Expand"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.replaceChildren(h("p", { class: "hint" }, "Following…"));
    try {
      const { data } = await api("GET", "/v1/expand", { query: { url: url.value.trim() } });
      result.replaceChildren(...("hops" in data ? chain(data) : ours(data)));
    } catch (error) {
      result.replaceChildren();
      showError(form, error);
    }
  });
  return h("div", {}, form, result);
}

function ours(link) {
  return [h("h2", {}, "One of our links"), h("dl", { class: "facts" },
    h("dt", {}, "Short URL"), h("dd", {}, link.short_url),
    h("dt", {}, "Status"), h("dd", {}, statusBadge(link.status)),
    h("dt", {}, "Destination"), h("dd", { class: "destination" }, link.url ? safeLink(link.destination || link.url) : "Not shown: the link is disabled or deleted."))];
}

function chain(expansion) {
  const script = expansion.hops.at(-1)?.kind === "javascript";
  const warning = expansion.stopped || script;
  return [
    h("h2", {}, warning ? "The chain stopped early" : "Final destination"),
    h("div", { class: warning ? "notice warning" : "notice", role: warning ? "alert" : null },
      warning ? h("p", {}, expansion.stopped ? `Stopped (${expansion.stopped}): ${STOPPED[expansion.stopped] || "the chain could not be followed."}` : "A script on the last page redirects; scripts are recognised but never run.") : null,
      h("p", { class: "destination" }, safeLink(expansion.final_url)),
      h("p", { class: "hint" }, `Status ${expansion.final_status ?? "none"} · ${expansion.hops.length} hop${expansion.hops.length === 1 ? "" : "s"} · checked ${when(expansion.checked_at)}${expansion.cached ? " (from the cache)" : ""}`)),
    h("ol", { class: "hops" }, expansion.hops.map((hop) => h("li", {},
      h("span", { class: "hop-status" }, String(hop.status)), " ",
      h("span", { class: "hop-kind" }, hop.kind), " ",
      h("span", { class: "destination" }, hop.url),
      hop.location ? [h("span", { "aria-hidden": "true" }, " → "), h("span", { class: "visually-hidden" }, " leads to "), h("span", { class: "destination" }, hop.location)] : null,
      h("span", { class: "hint" }, ` ${hop.ms} ms`)))),
  ];
}
