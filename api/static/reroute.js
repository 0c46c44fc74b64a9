/*
 * 改派 (reroute) in the incident panel: a matter a unit returned (退回) goes to a unit of
 * another category's or department's kinds, with a reason (POST …/transitions, action
 * "reroute": category, kind, unit_id, note). The units offered are the new category's:
 * the nearest by road first (GET /locate?category=), then the others of its kinds.
 * Loaded after console.js, whose api(), t(), name(), esc(), state, categoryName() and
 * unitName() it uses.
 */
"use strict";

/** The last return (退回) of the incident: which unit gave it back and why. */
function lastReturn(inc) {
  const back = (inc.events || []).filter((e) => e.action === "return");
  return back.length ? back[back.length - 1] : null;
}

/** Units of ``category``'s kinds for the incident: nearest (with reach) first, then the rest. */
async function rerouteUnits(inc, category) {
  const cat = state.categories[category];
  let near = [];
  try {
    const q = new URLSearchParams({ lon: inc.lon, lat: inc.lat, category });
    near = (await api(`/locate?${q}`)).units;
  } catch (err) {
    if (err instanceof SignInNeeded) throw err;
  }
  const seen = new Set(near.map((u) => u.unit_id));
  const rest = Object.values(state.unitInfo)
    .filter((u) => cat.unit_kinds.includes(u.kind) && !seen.has(u.unit_id))
    .sort((a, b) => (b.township_code === inc.township_code) - (a.township_code === inc.township_code)
      || a.unit_id.localeCompare(b.unit_id));
  return [...near, ...rest];
}

/** Fill the department and unit lists for the chosen category (and department). */
async function rerouteFill(inc, box) {
  const category = box.querySelector("#rr-category").value;
  const kindSelect = box.querySelector("#rr-kind");
  const kinds = state.categories[category].unit_kinds;
  const keep = kindSelect.value;
  kindSelect.replaceChildren(new Option(t("reroute.kind.any"), ""),
    ...kinds.map((k) => new Option(name("kind", k), k)));
  if (kinds.includes(keep)) kindSelect.value = keep;
  const units = box.rerouteUnits && box.rerouteUnits.category === category
    ? box.rerouteUnits.list : await rerouteUnits(inc, category);
  box.rerouteUnits = { category, list: units };
  const from = lastReturn(inc)?.data?.unit_id;
  const unitSelect = box.querySelector("#rr-unit");
  const shown = units.filter((u) => u.unit_id !== from && (!kindSelect.value || u.kind === kindSelect.value));
  unitSelect.replaceChildren(...shown.map((u) => new Option(
    `${u.name}（${name("kind", u.kind)}）${u.distance_m == null ? "" : " · " + unitReach(u)}`, u.unit_id)));
  box.querySelector("#rr-none").hidden = shown.length > 0;
}

/** The 改派 form: category, department (unit kind), unit of that category's kinds, reason. */
function rerouteForm(inc) {
  const box = document.createElement("fieldset");
  box.id = "reroute";
  box.className = "reroute";
  const back = lastReturn(inc);
  const from = back ? t("reroute.from", { unit: unitName(back.data?.unit_id), reason: back.note || "" }) : "";
  box.innerHTML = `<legend>${esc(t("reroute.title"))}</legend>
    ${from ? `<p class="meta" id="rr-from">${esc(from)}</p>` : ""}
    <label>${esc(t("reroute.category"))} <select id="rr-category"></select></label>
    <label>${esc(t("reroute.kind"))} <select id="rr-kind"></select></label>
    <label>${esc(t("reroute.unit"))} <select id="rr-unit"></select></label>
    <p class="meta" id="rr-none" hidden>${esc(t("reroute.none"))}</p>
    <label>${esc(t("reroute.reason"))} <input id="rr-reason" maxlength="2000"
      placeholder="${esc(t("reroute.reason.hint"))}"></label>`;
  const categories = box.querySelector("#rr-category");
  for (const c of Object.values(state.categories)) {
    categories.add(new Option(`${c.code} ${categoryName(c)}`, c.code));
  }
  categories.value = inc.category;
  const fill = () => rerouteFill(inc, box).catch((err) => {
    if (!(err instanceof SignInNeeded)) box.querySelector("#rr-none").textContent = err.message;
  });
  categories.addEventListener("change", fill);
  box.querySelector("#rr-kind").addEventListener("change", fill);
  fill();
  return box;
}

/** Put the form's choices into the request ``body``; false (and why, in ``error``) if incomplete. */
function rerouteInputs(body, error) {
  const reason = $("#rr-reason").value.trim() || body.note;
  if (!reason) { error.textContent = t("reroute.reason.needed"); return false; }
  if (!$("#rr-unit").value) { error.textContent = t("reroute.unit.needed"); return false; }
  body.note = reason;
  body.category = $("#rr-category").value;
  body.unit_id = $("#rr-unit").value;
  if ($("#rr-kind").value) body.kind = $("#rr-kind").value;
  return true;
}

/** What a reroute event changed, for the timeline: "E01 污水横流 → S01 电线掉落". */
function rerouteEvent(e) {
  const data = e.data || {};
  if (e.action !== "reroute" || !data.from_category || data.from_category === data.category) return "";
  const label = (code) => `${code} ${categoryName(state.categories[code], code)}`;
  return ` <span class="meta">${esc(t("reroute.event", { from: label(data.from_category), to: label(data.category) }))}</span>`;
}
