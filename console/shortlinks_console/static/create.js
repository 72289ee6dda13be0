// Create a link: destination, alias, domain and the link's settings; the answer shows the short URL and its QR code.

import { api, session } from "./api.js";
import { clearErrors, field, formError, h, heading, input, showError } from "./dom.js";
import { linkFields, readLinkFields } from "./linkform.js";
import { shortUrlPanel } from "./panels.js";

export async function createView() {
  const domains = session.role === "admin" ? await api("GET", "/v1/domains").then(({ data }) => data.domains, () => []) : [];
  const list = h("datalist", { id: "domain-choices" }, domains.map((domain) => h("option", { value: domain.host })));
  const result = h("section", { "aria-live": "polite", class: "result" });
  const [url, ...rest] = linkFields();
  const form = h("form", { class: "card", novalidate: true },
    heading("Create a link"),
    url,
    field("Alias", input("alias", { maxlength: 64, pattern: "[A-Za-z0-9_-]{3,64}" }), { hint: "Optional: 3–64 letters, digits, - and _ (case matters)" }),
    field("Short domain", input("domain", { maxlength: 253, list: "domain-choices" }), { hint: "Optional: empty for the default domain" }),
    list,
    ...rest,
    formError(),
    h("button", { type: "submit" }, "Create"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = readLinkFields(form);
    const data = new FormData(form);
    for (const name of ["alias", "domain"]) {
      const value = String(data.get(name) || "").trim();
      if (value) body[name] = value;
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    clearErrors(form);
    try {
      const { data: link } = await api("POST", "/v1/links", { body });
      result.replaceChildren(h("h2", {}, "Created"), shortUrlPanel(link));
      result.querySelector("h2").setAttribute("tabindex", "-1");
      result.querySelector("h2").focus();
    } catch (error) {
      showError(form, error);
    } finally {
      submit.disabled = false;
    }
  });
  return h("div", {}, form, result);
}
