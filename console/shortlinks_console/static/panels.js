// What the create answer and the link page both show: the short URL with a copy button, where it leads, its QR code.

import { qrUrl } from "./api.js";
import { copyButton, h, safeLink } from "./dom.js";

export function shortUrlPanel(link) {
  const destination = link.destination || link.url;
  return h("div", { class: "panel" },
    h("dl", { class: "facts" },
      h("dt", {}, "Short URL"), h("dd", {}, h("span", { class: "short-url" }, safeLink(link.short_url)), " ", copyButton(link.short_url)),
      h("dt", {}, "Destination"), h("dd", { class: "destination" }, safeLink(destination)),
      link.destination && link.destination !== link.url ? [h("dt", {}, "Untagged URL"), h("dd", {}, link.url)] : null),
    qrPanel(link));
}

// The QR code comes from the API (GET /v1/links/{code}/qr, public); a deployment without it hides the panel.
export function qrPanel(link) {
  const image = h("img", { src: qrUrl(link, "svg"), alt: `QR code for ${link.short_url}`, width: 160, height: 160, class: "qr" });
  const panel = h("figure", { class: "qr-panel" }, image,
    h("figcaption", {},
      h("a", { href: qrUrl(link, "svg"), download: `${link.code}.svg` }, "Download SVG"), " ",
      h("a", { href: qrUrl(link, "png"), download: `${link.code}.png` }, "Download PNG")));
  image.addEventListener("error", () => panel.replaceChildren(h("p", { class: "hint" }, "QR codes are not available on this deployment.")));
  return panel;
}
