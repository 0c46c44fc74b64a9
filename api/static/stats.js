/*
 * 统计图表: the statistics page. The headline rates (办结率、按时办结率、群众满意率、按时报到率),
 * the rankings of townships, units and grid workers, and the weekly trend, as SVG charts the
 * service draws (GET /statistics/charts: matplotlib, no CDN, nothing fetched from elsewhere),
 * each with its figures as a table. Opened from its button beside 统计考核, for the same
 * people. Loaded after console.js, whose api(), t(), esc(), guarded() and LANG it uses.
 */
"use strict";

const STATS_RATES = ["closure_rate", "resolve_on_time_rate", "satisfied_rate", "report_in_rate"];

function statsValue(value, key) {
  if (value === null || value === undefined) return "—";
  if (key === "rates" || key === "trend" || key.endsWith("_rate")) return `${(value * 100).toFixed(1)}%`;
  return value.toFixed(1);
}

/** The figures of one chart as a table (hidden under the chart, for reading and copying). */
function statsTable(chart, names) {
  if (!chart.rows.length) return "";
  const head = chart.key === "trend"
    ? `<tr><th>${esc(t("charts.week"))}</th><th>${esc(t("charts.measure"))}</th><th>${esc(t("charts.value"))}</th></tr>`
    : `<tr><th>${esc(t("charts.name"))}</th><th>${esc(t("charts.value"))}</th></tr>`;
  const rows = chart.rows.map((r) => chart.key === "trend"
    ? `<tr><td>${esc(r.name)}</td><td>${esc(names[r.series] || name("figure", r.series))}</td><td>${statsValue(r.value, "trend")}</td></tr>`
    : `<tr data-key="${esc(r.key)}"><td>${esc(r.name)}</td><td>${statsValue(r.value, chart.key)}</td></tr>`).join("");
  return `<details><summary>${esc(t("charts.table"))}</summary><table>${head}${rows}</table></details>`;
}

function statsChart(chart, names) {
  // an image, not inline SVG: matplotlib's SVG styles itself, which the page's CSP forbids
  const drawn = chart.svg ? `<div class="chart-svg"><img alt="${esc(chart.title)}"
      src="data:image/svg+xml;charset=utf-8,${encodeURIComponent(chart.svg)}"></div>`
    : `<p class="meta">${esc(t("charts.empty"))}</p>`;
  return `<section class="chart" data-chart="${esc(chart.key)}"><h4>${esc(chart.title)}</h4>${drawn}${statsTable(chart, names)}</section>`;
}

/** Read the charts of the chosen period and draw the page. */
async function loadStatsPage() {
  const page = $("#stats-page");
  const q = new URLSearchParams({ weeks: $("#st-weeks").value, lang: LANG });
  if ($("#st-from").value) q.set("from", $("#st-from").value);
  if ($("#st-to").value) q.set("to", $("#st-to").value);
  $("#st-error").textContent = "";
  page.dataset.state = "loading";
  try {
    const data = await api(`/statistics/charts?${q}`);
    $("#st-period").textContent = data.label;
    if (!$("#st-from").value) $("#st-from").value = data.from;
    if (!$("#st-to").value) $("#st-to").value = data.to;
    // the rates' names as the service draws them in the charts (办结率…), the catalogue's else
    const names = Object.fromEntries(data.charts.find((c) => c.key === "rates").rows
      .map((r) => [r.key, r.name]));
    $("#st-figures").innerHTML = STATS_RATES.map((k) => `<div class="figure" data-figure="${k}">
      <b>${statsValue(data.figures[k], k)}</b><span>${esc(names[k] || name("figure", k))}</span></div>`).join("");
    $("#st-charts").innerHTML = data.charts.map((c) => statsChart(c, names)).join("");
    page.dataset.state = "ready";
  } catch (err) {
    page.dataset.state = "failed";
    if (!(err instanceof SignInNeeded)) $("#st-error").textContent = err.message;
  }
}

function buildStatsPage() {
  const page = document.createElement("section");
  page.id = "stats-page";
  page.hidden = true;
  page.setAttribute("role", "dialog");
  page.setAttribute("aria-label", t("charts.title"));
  page.innerHTML = `<header class="st-head"><h2>${esc(t("charts.title"))} <small id="st-period"></small></h2>
    <button type="button" id="st-close">${esc(t("charts.close"))}</button></header>
    <form id="st-form" class="st-form">
      <label>${esc(t("charts.from"))} <input id="st-from" type="date"></label>
      <label>${esc(t("charts.to"))} <input id="st-to" type="date"></label>
      <label>${esc(t("charts.weeks"))} <select id="st-weeks">${[4, 8, 12, 26].map((n) =>
        `<option value="${n}"${n === 8 ? " selected" : ""}>${esc(t("charts.weeks.n", { n }))}</option>`).join("")}</select></label>
      <button type="submit">${esc(t("charts.show"))}</button>
      <span id="st-error" class="error" role="alert"></span>
    </form>
    <div id="st-figures" class="st-figures"></div>
    <div id="st-charts" class="st-charts"></div>`;
  document.body.appendChild(page);
  page.querySelector("#st-close").addEventListener("click", () => { page.hidden = true; });
  page.querySelector("#st-form").addEventListener("submit", guarded(async (e) => {
    e.preventDefault();
    await loadStatsPage();
  }));
  return page;
}

(function installStatsPage() {
  const beside = $("#statistics");
  if (!beside) return;
  const button = document.createElement("button");
  button.type = "button";
  button.id = "stats-charts";
  button.textContent = t("charts.button");
  button.hidden = beside.hidden;
  beside.after(button);
  // shown to the people the statistics button is shown to (console.js decides on sign-in)
  new MutationObserver(() => { button.hidden = beside.hidden; })
    .observe(beside, { attributes: true, attributeFilter: ["hidden"] });
  const page = buildStatsPage();
  button.addEventListener("click", guarded(async () => {
    page.hidden = false;
    await loadStatsPage();
  }));
})();
