// Charts drawn as SVG elements (no library, no HTML strings): a column per bucket of a series, a bar per value of a
// breakdown. Every number is also written as text, so the chart reads without colour.

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

function label(bucket, granularity) {
  const date = new Date(bucket);
  return granularity === "hour"
    ? date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", timeZone: "UTC" })
    : date.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

// Clicks per bucket, oldest first. Labels on the x axis are thinned to about eight.
export function seriesChart(series, granularity) {
  const width = 720, height = 220, left = 40, bottom = 28, top = 12;
  const max = Math.max(1, ...series.map((bucket) => bucket.clicks));
  const step = (width - left) / Math.max(1, series.length);
  const scale = (value) => ((height - bottom - top) * value) / max;
  const total = series.reduce((sum, bucket) => sum + bucket.clicks, 0);
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img",
    "aria-label": `Clicks by ${granularity}: ${total} in ${series.length} ${granularity}s, at most ${max} in one ${granularity}`,
  });
  for (const fraction of [0, 0.5, 1]) {
    const y = height - bottom - scale(max * fraction);
    chart.append(svg("line", { x1: left, x2: width, y1: y, y2: y, class: "grid" }),
      svg("text", { x: left - 6, y: y + 4, class: "axis", "text-anchor": "end" }, String(Math.round(max * fraction))));
  }
  const every = Math.max(1, Math.ceil(series.length / 8));
  series.forEach((bucket, index) => {
    const x = left + index * step;
    const barHeight = scale(bucket.clicks);
    chart.append(svg("rect", {
      x: x + step * 0.15, y: height - bottom - barHeight, width: Math.max(1, step * 0.7), height: barHeight, class: "bar",
    }, svg("title", {}, `${label(bucket.start, granularity)}: ${bucket.clicks} clicks`)));
    if (index % every === 0) {
      chart.append(svg("text", { x: x + step / 2, y: height - 8, class: "axis", "text-anchor": "middle" }, label(bucket.start, granularity)));
    }
  });
  return chart;
}

// One breakdown (referrers, countries ...): its values, most clicks first, as horizontal bars with their counts.
export function barsChart(name, entries) {
  const rowHeight = 28, labelWidth = 130, width = 340;
  const max = Math.max(1, ...entries.map((entry) => entry.clicks));
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${Math.max(1, entries.length) * rowHeight}`, class: "chart bars", role: "img",
    "aria-label": `${name}: ${entries.map((entry) => `${entry.value} ${entry.clicks}`).join(", ") || "no clicks"}`,
  });
  entries.forEach((entry, index) => {
    const y = index * rowHeight;
    const barWidth = ((width - labelWidth - 40) * entry.clicks) / max;
    const text = entry.value.length > 18 ? `${entry.value.slice(0, 17)}…` : entry.value;
    chart.append(
      svg("text", { x: labelWidth - 8, y: y + 19, class: "axis", "text-anchor": "end" }, svg("title", {}, entry.value), text),
      svg("rect", { x: labelWidth, y: y + 5, width: Math.max(1, barWidth), height: rowHeight - 10, class: "bar" }),
      svg("text", { x: labelWidth + barWidth + 6, y: y + 19, class: "value" }, String(entry.clicks)),
    );
  });
  return chart;
}
