// The fields a link is made of, shared by the create form and the link page's edit form.

import { field, h, input, select } from "./dom.js";

export const UTM_FIELDS = ["source", "medium", "campaign", "term", "content"];
const REDIRECTS = [["", "The domain's default"], ["301", "301 permanent"], ["302", "302 temporary"], ["307", "307 temporary"], ["308", "308 permanent"]];

// <input type="datetime-local"> reads and writes local time; the API speaks UTC with an offset.
function localValue(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

export function linkFields(link = {}) {
  const utm = link.utm || {};
  return [
    field("Destination URL", input("url", { type: "url", required: true, maxlength: 2048, value: link.url || "", placeholder: "https://example.org/page" })),
    field("Title", input("title", { maxlength: 200, value: link.title || "" })),
    field("Tags", input("tags", { maxlength: 1300, value: (link.tags || []).join(", ") }), { hint: "Separated by commas: lower-case letters, digits, - and _" }),
    field("Expires", input("expires_at", { type: "datetime-local", value: localValue(link.expires_at) }), { hint: "Your local time; empty: never" }),
    field("Redirect type", select("redirect_type", link.code ? REDIRECTS.slice(1) : REDIRECTS, link.redirect_type ?? "")),
    h("div", { class: "field check", "data-field": "forward_query" },
      h("input", { type: "checkbox", name: "forward_query", id: `fq-${link.code || "new"}`, checked: link.forward_query ?? true }),
      h("label", { for: `fq-${link.code || "new"}` }, "Forward the visitor's query string"),
      h("p", { class: "field-error", hidden: true })),
    h("fieldset", { class: "utm", "data-field": "utm" }, h("legend", {}, "Campaign tags (UTM)"),
      UTM_FIELDS.map((name) => field(`utm_${name}`, input(`utm_${name}`, { maxlength: 100, value: utm[name] || "" }), { name: `utm_${name}` })),
      h("p", { class: "field-error", hidden: true })),
  ];
}

// The body for POST (every field given) or PATCH (only what differs from the link as it was read).
export function readLinkFields(form, before = null) {
  const data = new FormData(form);
  const text = (name) => String(data.get(name) || "").trim();
  const expires = text("expires_at");
  const utm = utmObject((name) => text(`utm_${name}`));
  const body = {
    url: text("url"),
    title: text("title") || null,
    tags: text("tags").split(",").map((tag) => tag.trim()).filter(Boolean),
    expires_at: expires ? new Date(expires).toISOString() : null,
    forward_query: form.elements.forward_query.checked,
    utm,
  };
  if (text("redirect_type")) body.redirect_type = Number(text("redirect_type"));
  if (!before) {
    if (!body.utm) delete body.utm; // a deployment without UTM support refuses the field: send it only when used
    return body;
  }
  const was = {
    url: before.url, title: before.title, tags: before.tags, expires_at: before.expires_at ? new Date(localValue(before.expires_at)).toISOString() : null,
    forward_query: before.forward_query, redirect_type: before.redirect_type, utm: utmObject((name) => before.utm?.[name]),
  };
  return Object.fromEntries(Object.entries(body).filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(was[name])));
}

// The filled UTM fields in a fixed order, or null when none is: how a form and a stored link are compared.
function utmObject(valueOf) {
  const filled = UTM_FIELDS.map((name) => [name, valueOf(name) || ""]).filter(([, value]) => value);
  return filled.length ? Object.fromEntries(filled) : null;
}
