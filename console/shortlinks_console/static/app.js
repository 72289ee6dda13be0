// The console: a hash router over views, each built from the API's answers. Signing in keeps the key in
// sessionStorage (this tab only, gone when it closes); signing out removes it.

import { api, session } from "./api.js";
import { field, formError, h, heading, input, showError } from "./dom.js";
import { adminDomains, adminKeys } from "./admin.js";
import { createView } from "./create.js";
import { expandView } from "./expand.js";
import { linkView } from "./link.js";
import { linksView } from "./links.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const signOut = document.getElementById("sign-out");

const ROUTES = [
  { path: /^#\/links$/, title: "Links", view: linksView },
  { path: /^#\/create$/, title: "Create a link", view: createView },
  { path: /^#\/link\/([^/]+)\/([^/]+)$/, title: "Link", view: linkView },
  { path: /^#\/expand$/, title: "Expand a link", view: expandView },
  { path: /^#\/domains$/, title: "Domains", view: adminDomains, admin: true },
  { path: /^#\/keys$/, title: "API keys", view: adminKeys, admin: true },
];
const MENU = [["#/links", "Links"], ["#/create", "Create"], ["#/expand", "Expand"]];
const ADMIN_MENU = [["#/domains", "Domains"], ["#/keys", "Keys"]];

async function render() {
  if (!session.key) {
    nav.hidden = true;
    signOut.hidden = true;
    show("Sign in", signInView());
    return;
  }
  const hash = window.location.hash || "#/links";
  const route = ROUTES.find((candidate) => candidate.path.test(hash) && (!candidate.admin || session.role === "admin"));
  if (!route) { window.location.hash = "#/links"; return; }
  renderNav(hash);
  const params = hash.match(route.path).slice(1).map(decodeURIComponent);
  show(route.title, await route.view(...params));
}

function show(title, view) {
  document.title = `${title} · Shortlinks console`;
  main.replaceChildren(view);
  (main.querySelector("h1") || main).focus();
}

function renderNav(hash) {
  const items = session.role === "admin" ? [...MENU, ...ADMIN_MENU] : MENU;
  nav.replaceChildren(h("ul", {}, items.map(([href, text]) =>
    h("li", {}, h("a", { href, "aria-current": hash.startsWith(href) || (href === "#/links" && hash.startsWith("#/link/")) ? "page" : null }, text)))));
  nav.hidden = false;
  signOut.hidden = false;
}

function signInView() {
  const key = input("", { type: "password", required: true, autocomplete: "off", maxlength: 200 });
  key.removeAttribute("name"); // a control without a name is never submitted: the key cannot end up in a URL
  const form = h("form", { class: "card narrow", novalidate: true },
    heading("Sign in"),
    h("p", {}, "Paste an API key. It stays in this browser tab only, and signing out removes it."),
    field("API key", key, { name: "key", hint: "sl_ followed by 43 letters and digits" }),
    formError(),
    h("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = key.value.trim();
    if (!/^sl_[A-Za-z0-9]{43}$/.test(value)) {
      showError(form, { details: [{ field: "key", message: "A key is sl_ followed by 43 letters and digits." }] });
      return;
    }
    try {
      await api("GET", "/v1/links", { query: { limit: 1 }, key: value });
      let role = "admin";
      try { await api("GET", "/v1/keys", { key: value }); } catch (error) {
        if (error.status !== 403) throw error;
        role = "member";
      }
      session.start(value, role);
      key.value = "";
      if (!window.location.hash || window.location.hash === "#/") window.location.hash = "#/links";
      else render();
    } catch (error) {
      showError(form, error.status === 401 ? { code: "key", details: [{ field: "key", message: "This key is not valid (unknown, revoked or mistyped)." }] } : error);
    }
  });
  return form;
}

signOut.addEventListener("click", () => {
  session.end();
  window.location.hash = "";
  render();
});
window.addEventListener("hashchange", render);
// A view that fails to load (the network, a 401 after revocation) says so in the page.
window.addEventListener("unhandledrejection", (event) => {
  main.replaceChildren(h("div", { class: "card" }, heading("Something went wrong"),
    h("p", { role: "alert", class: "form-error" }, event.reason?.sentence || event.reason?.message || "Unexpected error.")));
});
render();
