// Admins only: the short domains (add, edit, remove) and the API keys (create, shown once; list; revoke).

import { api } from "./api.js";
import { confirmAction, copyButton, field, formError, h, heading, input, select, showError, when } from "./dom.js";

const REDIRECTS = [["301", "301"], ["302", "302"], ["307", "307"], ["308", "308"]];

export async function adminDomains() {
  const { data } = await api("GET", "/v1/domains");
  const add = domainForm(null);
  return h("div", {}, heading("Domains"),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["Host", "Short links", "Redirect", "Root", "Not found", "Keys allowed", ""].map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, data.domains.map((domain) => h("tr", {},
        h("td", {}, domain.host, domain.is_default ? h("span", { class: "badge" }, "default") : null),
        h("td", {}, domain.base_url), h("td", { class: "number" }, String(domain.default_redirect_type)),
        h("td", { class: "destination" }, domain.root_url || "404"), h("td", { class: "destination" }, domain.not_found_url || "404 page"),
        h("td", {}, domain.allowed_keys ? domain.allowed_keys.join(", ") : "every key"),
        h("td", {}, h("details", {}, h("summary", {}, `Edit ${domain.host}`), domainForm(domain)),
          confirmAction("Remove", `Remove ${domain.host}? Only a domain without links can be removed.`, () => removeDomain(domain.host)),
          confirmAction("Remove with its links", `Remove ${domain.host} and delete every link on it for good?`, () => removeDomain(domain.host, true)))))))),
    h("h2", {}, "Add a domain"), add);
}

async function removeDomain(host, force = false) {
  try {
    await api("DELETE", `/v1/domains/${encodeURIComponent(host)}`, { query: { force: force ? "true" : null } });
  } catch (error) {
    if (error.code !== "domain_in_use") throw error;
    const sentence = `${host} still has links, so it was not removed. Removing it anyway deletes its links for good: use "Remove with its links".`;
    throw { sentence, message: sentence };
  }
  reload();
}

function reload() {
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

function domainForm(domain) {
  const value = (name) => (domain ? domain[name] ?? "" : "");
  const form = h("form", { class: "card", novalidate: true },
    domain ? null : field("Host", input("host", { required: true, maxlength: 253, placeholder: "care.link" })),
    field("Base URL", input("base_url", { maxlength: 300, value: value("base_url") }), { hint: "Empty: https://<host>" }),
    field("Default redirect", select("default_redirect_type", REDIRECTS, value("default_redirect_type") || "302")),
    field("Root URL", input("root_url", { type: "url", maxlength: 2048, value: value("root_url") }), { hint: "Where the domain's / leads; empty: 404" }),
    field("Not-found URL", input("not_found_url", { type: "url", maxlength: 2048, value: value("not_found_url") }), { hint: "Where unknown codes lead; empty: our 404 page" }),
    field("Allowed keys", input("allowed_keys", { maxlength: 2000, value: domain?.allowed_keys ? domain.allowed_keys.join(", ") : "" }), { hint: "Key ids separated by commas; empty: every key" }),
    h("div", { class: "field check", "data-field": "is_default" },
      h("input", { type: "checkbox", name: "is_default", id: `default-${domain?.host || "new"}`, checked: domain?.is_default }),
      h("label", { for: `default-${domain?.host || "new"}` }, "Default domain")),
    formError(),
    h("button", { type: "submit" }, domain ? "Save" : "Add domain"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const text = (name) => String(data.get(name) || "").trim() || null;
    const keys = text("allowed_keys");
    const body = {
      base_url: text("base_url"), default_redirect_type: Number(text("default_redirect_type")), root_url: text("root_url"),
      not_found_url: text("not_found_url"), allowed_keys: keys ? keys.split(",").map((key) => key.trim()).filter(Boolean) : null,
      is_default: form.elements.is_default.checked,
    };
    const host = domain ? domain.host : text("host");
    if (!host) { showError(form, { details: [{ field: "host", message: "A host is required, such as care.link." }] }); return; }
    try {
      await api(domain ? "PATCH" : "PUT", `/v1/domains/${encodeURIComponent(host)}`, { body });
      reload();
    } catch (error) {
      showError(form, error.code === "invalid_domain" && !domain ? { ...error, sentence: error.message, details: [{ field: "host", message: error.message }] } : error);
    }
  });
  return form;
}

export async function adminKeys() {
  const { data } = await api("GET", "/v1/keys");
  const secret = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card", novalidate: true },
    h("h2", {}, "Create a key"),
    field("Name", input("name", { required: true, maxlength: 100, placeholder: "Campaigns team" })),
    field("Role", select("role", [["member", "Member: its own links"], ["admin", "Admin: everything"]], "member")),
    field("Creates per minute", input("create_rate_limit", { type: "number", min: 1, max: 100000 }), { hint: "Empty: the service default" }),
    formError(),
    h("button", { type: "submit" }, "Create key"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = new FormData(form);
    const body = { name: String(values.get("name") || "").trim(), role: values.get("role") };
    if (values.get("create_rate_limit")) body.create_rate_limit = Number(values.get("create_rate_limit"));
    try {
      const { data: key } = await api("POST", "/v1/keys", { body });
      form.reset();
      const done = h("button", { type: "button" }, "I have stored it");
      const box = h("div", { class: "notice secret", role: "status" },
        h("p", {}, h("strong", {}, `The key for ${key.name}. `), "Store it now: it is shown this once and cannot be shown again."),
        h("p", {}, h("code", { class: "key" }, key.key), " ", copyButton(key.key, "Copy key")), done);
      done.addEventListener("click", () => { box.remove(); reload(); });
      secret.replaceChildren(box);
      done.focus();
    } catch (error) {
      showError(form, error);
    }
  });
  return h("div", {}, heading("API keys"), secret, form,
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["Id", "Name", "Role", "Created", "Last used", "Per minute", "State"].map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, data.keys.map((key) => h("tr", {},
        h("td", {}, h("code", {}, key.key_id)), h("td", {}, key.name), h("td", {}, key.role), h("td", {}, when(key.created_at)),
        h("td", {}, key.last_used_day || "never"), h("td", { class: "number" }, key.create_rate_limit === null ? "default" : String(key.create_rate_limit)),
        h("td", {}, key.revoked ? "revoked" : confirmAction("Revoke", `Revoke ${key.name} (${key.key_id})? Requests with it are refused within a minute.`,
          async () => { await api("DELETE", `/v1/keys/${encodeURIComponent(key.key_id)}`); reload(); }))))))));
}
