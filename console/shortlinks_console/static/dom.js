// Building the page from data without ever parsing data as HTML: every value becomes a text node or an attribute.

export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

// Only http(s) URLs become links: anything else (javascript:, data:) is shown as text.
export function safeLink(url, text = url) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") {
      return h("a", { href: parsed.href, rel: "noopener noreferrer", target: "_blank" }, text);
    }
  } catch { /* not a URL */ }
  return h("span", {}, text ?? "");
}

let fieldCount = 0;

// A labelled control with its hint and an error slot, found again by the API field it stands for.
export function field(label, control, { hint, name } = {}) {
  const id = control.id || `f${++fieldCount}`;
  control.id = id;
  const describedBy = [];
  const hintElement = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintElement) describedBy.push(hintElement.id);
  const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
  describedBy.push(error.id);
  control.setAttribute("aria-describedby", describedBy.join(" "));
  const wrapper = h("div", { class: "field", "data-field": name || control.name || "" },
    h("label", { for: id }, label), control, hintElement, error);
  return wrapper;
}

export function input(name, props = {}) {
  return h("input", { name, type: "text", autocomplete: "off", spellcheck: "false", ...props });
}

export function select(name, options, selected, props = {}) {
  return h("select", { name, ...props },
    options.map(([value, text]) => h("option", { value, selected: String(value) === String(selected) }, text)));
}

// Which form field an error code is about, when the API does not name it in details.
const FIELD_OF_CODE = {
  invalid_url: "url", unsupported_scheme: "url", url_too_long: "url", url_has_credentials: "url",
  url_is_short_link: "url", not_our_short_url: "url", invalid_alias: "alias", alias_reserved: "alias",
  code_taken: "alias", invalid_domain: "domain", unknown_domain: "domain", domain_not_allowed: "domain",
  invalid_tags: "tags", invalid_expires_at: "expires_at", invalid_range: "range", invalid_key_spec: "name",
};

export function clearErrors(form) {
  for (const slot of form.querySelectorAll(".field-error, .form-error")) { slot.textContent = ""; slot.hidden = true; }
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

// Show an ApiError next to what caused it: the field named in details or by the code, else the whole form.
export function showError(form, error) {
  clearErrors(form);
  const placed = [];
  for (const detail of error.details || []) {
    const name = String(detail.field || "").replace(/^utm\./, "utm_").split(".")[0];
    if (place(form, name, `${detail.message}`)) placed.push(name);
  }
  if (!placed.length && !place(form, FIELD_OF_CODE[error.code], error.sentence || error.message)) {
    const slot = form.querySelector(".form-error");
    slot.textContent = error.sentence || error.message;
    slot.hidden = false;
    slot.focus();
  }
}

function place(form, name, message) {
  if (!name) return false;
  const wrapper = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  if (!wrapper) return false;
  const slot = wrapper.querySelector(".field-error");
  slot.textContent = message;
  slot.hidden = false;
  const control = wrapper.querySelector("input, select, textarea");
  control.setAttribute("aria-invalid", "true");
  control.focus();
  return true;
}

export function formError() {
  return h("p", { class: "form-error", role: "alert", tabindex: "-1", hidden: true });
}

export function copyButton(text, label = "Copy") {
  const button = h("button", { type: "button", class: "quiet", "aria-label": `${label} ${text}` }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed: select the text";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
  return button;
}

// A destructive action asks first, in the page (no browser dialog): the question and two buttons.
export function confirmAction(label, question, action, { danger = true } = {}) {
  const holder = h("div", { class: "confirm" });
  const trigger = h("button", { type: "button", class: danger ? "danger" : "" }, label);
  const status = h("p", { class: "form-error", role: "alert", hidden: true });
  trigger.addEventListener("click", () => {
    const yes = h("button", { type: "button", class: danger ? "danger" : "" }, `Yes, ${label.toLowerCase()}`);
    const no = h("button", { type: "button", class: "quiet" }, "Cancel");
    const box = h("div", { class: "confirm-box", role: "group", "aria-label": question }, h("p", {}, question), yes, no);
    no.addEventListener("click", () => { box.remove(); trigger.hidden = false; trigger.focus(); });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        await action();
        box.remove();
        trigger.hidden = false;
      } catch (error) {
        yes.disabled = false;
        status.textContent = error.sentence || error.message;
        status.hidden = false;
      }
    });
    trigger.hidden = true;
    holder.insertBefore(box, status);
    yes.focus();
  });
  holder.append(trigger, status);
  return holder;
}

export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const anchor = h("a", { href: url, download: name, hidden: true });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function heading(text) {
  return h("h1", { tabindex: "-1" }, text);
}

export function statusBadge(status) {
  return h("span", { class: `badge badge-${["active", "expired", "disabled", "deleted"].includes(status) ? status : "other"}` }, status);
}
