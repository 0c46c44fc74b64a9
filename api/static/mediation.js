/*
 * 人民调解 in the console, for the mediation desks (community, township, county):
 * 登记调解案件 in a dispute's panel (POST /mediation/cases with the incident, the
 * organisation and mediator chosen from GET /mediation/registry of its grid), then on the case
 * 调解过程 (POST …/sessions, numbered), 结案 (POST …/outcome: agreement, failed with its
 * referral, withdrawn) and 履行情况 (POST …/fulfilment; not carried out: a follow-up task);
 * and 多维预警, the warning's alerts of a month (GET /mediation/warnings) with their test,
 * adjusted p-value and the notice addressed to the authority. Loaded after console.js, whose
 * api(), t(), name(), esc(), when() and state it uses; enter() calls loadMediation(),
 * clearBoard() clearMediation(), and a dispute's panel mediationOpener().
 */
"use strict";

const MEDIATION_DESKS = new Set(["community", "township", "command_centre"]);
const PARTY_KINDS = ["person", "hospital", "employer", "property_company", "merchant",
  "insurer", "village_collective"];
const med = { registry: [], caseId: null };

function medMessage(text) { $("#med-status").textContent = text; }

/** A message about the case of the panel (its writes, their refusals). */
function caseMessage(text) {
  const box = document.querySelector("#med-case-status");
  if (box) box.textContent = text;
}

function guardedMed(fn, show = medMessage) {
  return (...args) => fn(...args).catch((err) => {
    if (!(err instanceof SignInNeeded)) show(err.message);
  });
}

/** The Chinese (or English) half of a service text written "中文 / English". */
function half(text) {
  const cut = String(text || "").indexOf(" / ");
  if (cut < 0) return String(text || "");
  return LANG === "zh" ? text.slice(0, cut) : text.slice(cut + 3);
}

function options(table, keys, chosen) {
  return keys.map((k) => `<option value="${esc(k)}"${k === chosen ? " selected" : ""}>${
    esc(name(table, k))}</option>`).join("");
}

/**
 * 登记调解案件 in a dispute's panel (mediation desks only): the button, then the case's
 * forms and their messages below it.
 */
function mediationOpener(inc) {
  const box = document.createElement("section");
  box.id = "p-mediation";
  if (!state.me || !MEDIATION_DESKS.has(state.me.role)) return box;
  box.innerHTML = `<button type="button" id="med-from-incident">${esc(t("mediation.fromincident"))}</button>
    <div id="med-case-status" class="notice" role="status"></div><div id="med-case" hidden></div>`;
  box.querySelector("#med-from-incident").addEventListener("click",
    guardedMed(() => startCase(inc), caseMessage));
  box.addEventListener("submit", guardedMed(submitCase, caseMessage));
  return box;
}

function mediatorOptions(orgId) {
  const org = med.registry.find((o) => o.org_id === orgId);
  return (org ? org.mediators : []).map((m) => `<option value="${esc(m.mediator_id)}">${
    esc(m.name)}（${esc(m.qualification)}）</option>`).join("");
}

/** The registration form of a case from ``inc``, its grid's organisations offered. */
async function startCase(inc) {
  const reg = await api(`/mediation/registry?grid=${encodeURIComponent(inc.grid_code)}`);
  med.registry = reg.organisations.filter((o) => o.mediators.length);
  const orgs = med.registry.map((o) => `<option value="${esc(o.org_id)}">${esc(o.name)}</option>`).join("");
  const box = $("#med-case");
  box.hidden = false;
  box.dataset.case = "";
  box.innerHTML = `<form id="med-open" data-incident="${esc(inc.incident_id)}"
      data-key="${esc(`${inc.incident_id}:${Date.now()}`)}">
    <h3>${esc(t("mediation.fromincident"))} <small>${esc(t("mediation.case.incident", { id: inc.incident_id }))}</small></h3>
    <label>${esc(t("mediation.case.title"))} <input name="title" required maxlength="200"
      value="${esc(String(inc.description || "").slice(0, 40))}"></label>
    <label>${esc(t("mediation.case.claim"))} <textarea name="claim" rows="2" required maxlength="4000"></textarea></label>
    <label>${esc(t("mediation.case.amount"))} <input name="amount" type="number" min="0" step="100" inputmode="decimal"></label>
    <label>${esc(t("mediation.case.org"))} <select name="org_id" required>${orgs}</select></label>
    <label>${esc(t("mediation.case.mediator"))} <select name="mediator_id" required>${
      mediatorOptions(med.registry[0] && med.registry[0].org_id)}</select></label>
    <fieldset><legend>${esc(t("mediation.case.applicant"))}</legend>
      <label>${esc(t("mediation.case.name"))} <input name="a_name" required maxlength="128"></label>
      <label>${esc(t("mediation.case.phone"))} <input name="a_phone" type="tel" maxlength="20"></label></fieldset>
    <fieldset><legend>${esc(t("mediation.case.respondent"))}</legend>
      <label>${esc(t("mediation.case.kind"))} <select name="r_kind">${options("partykind", PARTY_KINDS, "person")}</select></label>
      <label>${esc(t("mediation.case.name"))} <input name="r_name" required maxlength="128"></label>
      <label>${esc(t("mediation.case.phone"))} <input name="r_phone" type="tel" maxlength="20"></label></fieldset>
    <button type="submit">${esc(t("mediation.case.submit"))}</button>
  </form>`;
  const form = box.querySelector("#med-open");
  form.elements.org_id.addEventListener("change", () => {
    form.elements.mediator_id.innerHTML = mediatorOptions(form.elements.org_id.value);
  });
  box.scrollIntoView({ block: "nearest" });
}

function party(side, kind, nameValue, phone) {
  const out = { side, kind, name: nameValue.trim() };
  if (phone.trim()) out.phone = phone.trim();
  return out;
}

/** 受理登记: the case registered (the form's key: a double submit is the same case). */
async function registerCase(form) {
  const f = form.elements;
  const body = {
    incident_id: form.dataset.incident, title: f.title.value.trim(), claim: f.claim.value.trim(),
    org_id: f.org_id.value, mediator_id: f.mediator_id.value, idempotency_key: form.dataset.key,
    parties: [party("applicant", "person", f.a_name.value, f.a_phone.value),
      party("respondent", f.r_kind.value, f.r_name.value, f.r_phone.value)],
  };
  if (f.amount.value !== "") body.amount = Number(f.amount.value);
  const made = await api("/mediation/cases", { method: "POST", body: JSON.stringify(body) });
  caseMessage(t("mediation.case.opened", { id: made.case_id }));
  await showCase(made.case_id);
}

function sessionForm(c) {
  const n = c.sessions.length + 1;
  return `<form id="med-session" data-seq="${n}"><h4>${esc(t("mediation.sessions"))}</h4>
    <label>${esc(t("mediation.session.note"))} <textarea name="note" rows="2" required maxlength="4000"></textarea></label>
    <button type="submit">${esc(t("mediation.session.submit", { n }))}</button></form>`;
}

function outcomeForm() {
  return `<form id="med-outcome"><h4>${esc(t("mediation.outcome"))}</h4>
    <label>${esc(t("mediation.outcome.kind"))} <select name="outcome">${
      options("mcoutcome", ["agreement", "failed", "withdrawn"], "agreement")}</select></label>
    <label class="med-agreement">${esc(t("mediation.outcome.terms"))} <textarea name="terms" rows="2" maxlength="4000"></textarea></label>
    <label class="med-agreement">${esc(t("mediation.outcome.amount"))} <input name="agreed_amount" type="number" min="0" step="100"></label>
    <label class="med-failed" hidden>${esc(t("mediation.outcome.to"))} <select name="to">${
      options("referral", ["court", "petition", "arbitration"], "court")}</select></label>
    <label class="med-failed med-withdrawn" hidden>${esc(t("mediation.outcome.reason"))} <textarea name="reason" rows="2" maxlength="4000"></textarea></label>
    <button type="submit">${esc(t("mediation.outcome.submit"))}</button></form>`;
}

function fulfilmentForm() {
  return `<form id="med-fulfil"><h4>${esc(t("mediation.fulfil"))}</h4>
    <label>${esc(t("mediation.fulfil.status"))} <select name="status">${
      options("fulfilment", ["fulfilled", "partial", "unfulfilled"], "fulfilled")}</select></label>
    <label>${esc(t("mediation.fulfil.note"))} <textarea name="note" rows="2" required maxlength="4000"></textarea></label>
    <button type="submit">${esc(t("mediation.fulfil.submit"))}</button></form>`;
}

/** One case as the desk sees it, with the forms its state allows. */
async function showCase(id) {
  const c = await api(`/mediation/cases/${encodeURIComponent(id)}`);
  med.caseId = id;
  const box = $("#med-case");
  box.hidden = false;
  box.dataset.case = id;
  box.dataset.outcome = c.outcome || "";
  box.dataset.fulfilment = c.fulfilment || "";
  const parties = c.parties.map((p) => `${esc(t(p.side === "applicant" ? "mediation.case.applicant"
    : "mediation.case.respondent"))}：${esc(p.name || "")}（${esc(name("partykind", p.kind))}）`).join("；");
  const sessions = c.sessions.map((s) => `<li data-seq="${s.seq}">${esc(t("mediation.session.item",
    { seq: s.seq, at: when(s.held_at), note: s.note }))}</li>`).join("");
  const checks = c.fulfilment_checks.map((f) => `<li data-status="${esc(f.status)}">${esc(t("mediation.fulfil.item",
    { on: f.checked_on, name: name("fulfilment", f.status), note: f.note }))}</li>`).join("");
  const followups = c.followups.map((f) => `<li data-kind="${esc(f.kind)}">${esc(t("mediation.followup.item",
    { title: f.title, due: when(f.due_at) }))}</li>`).join("");
  let forms = "";
  if (!c.outcome) forms = sessionForm(c) + outcomeForm();
  else if (c.outcome === "agreement") forms = fulfilmentForm();
  box.innerHTML = `<h3>${esc(c.title)} <small>${esc(c.case_id)} · ${esc(c.type_name)} ·
      <span id="med-state">${esc(c.outcome ? name("mcoutcome", c.outcome) : t("mediation.case.open"))}${
      c.fulfilment_name ? ` · ${esc(c.fulfilment_name)}` : ""}</span></small></h3>
    <p>${esc(t("mediation.case.parties"))}：${parties}</p>
    ${c.terms ? `<p class="terms">${esc(t("similar.terms", { terms: c.terms }))}</p>` : ""}
    <ol id="med-sessions">${sessions}</ol>
    ${checks ? `<h4>${esc(t("mediation.fulfil"))}</h4><ol id="med-checks">${checks}</ol>` : ""}
    ${followups ? `<h4>${esc(t("mediation.followups"))}</h4><ol id="med-followups">${followups}</ol>` : ""}
    ${forms}`;
  const outcome = box.querySelector("#med-outcome");
  if (outcome) {
    outcome.elements.outcome.addEventListener("change", () => {
      const kind = outcome.elements.outcome.value;
      for (const el of outcome.querySelectorAll(".med-agreement")) el.hidden = kind !== "agreement";
      for (const el of outcome.querySelectorAll(".med-failed")) el.hidden = kind !== "failed";
      if (kind === "withdrawn") outcome.querySelector(".med-withdrawn").hidden = false;
    });
  }
}

async function addSession(form) {
  const seq = Number(form.dataset.seq);
  await api(`/mediation/cases/${encodeURIComponent(med.caseId)}/sessions`, {
    method: "POST", body: JSON.stringify({ seq, note: form.elements.note.value.trim() }) });
  caseMessage(t("mediation.session.saved", { n: seq }));
  await showCase(med.caseId);
}

async function closeCase(form) {
  const f = form.elements;
  const body = { outcome: f.outcome.value };
  if (body.outcome === "agreement") {
    body.terms = f.terms.value.trim();
    if (f.agreed_amount.value !== "") body.agreed_amount = Number(f.agreed_amount.value);
  } else {
    if (body.outcome === "failed") body.to = f.to.value;
    if (f.reason.value.trim()) body.reason = f.reason.value.trim();
  }
  const done = await api(`/mediation/cases/${encodeURIComponent(med.caseId)}/outcome`, {
    method: "POST", body: JSON.stringify(body) });
  caseMessage(t("mediation.outcome.saved", { name: name("mcoutcome", done.outcome) }));
  await showCase(med.caseId);
}

async function recordFulfilment(form) {
  const f = form.elements;
  const got = await api(`/mediation/cases/${encodeURIComponent(med.caseId)}/fulfilment`, {
    method: "POST", body: JSON.stringify({ status: f.status.value, note: f.note.value.trim() }) });
  const saved = t("mediation.fulfil.saved", { name: name("fulfilment", got.fulfilment) });
  caseMessage(got.followup ? `${saved}；${t("mediation.fulfil.followup", { at: when(got.followup.due_at) })}`
    : saved);
  await showCase(med.caseId);
}

function alertLabel(a) {
  const type = a.dispute_type ? name("mtype", a.dispute_type) : "";
  if (a.dimension === "respondent_type") {
    return `${name("partykind", a.key.split("×")[0])} × ${type}`;
  }
  if (a.dimension === "area_type") return `${state.names[a.area_code] || a.area_code} × ${type}`;
  if (a.dimension === "large_amount") return type;
  return state.names[a.key] || a.key;
}

function alertItem(a) {
  return `<li class="med-alert" data-dimension="${esc(a.dimension)}" data-key="${esc(a.key)}"
      data-test="${esc(a.test)}" data-p="${a.p_adjusted}">
    <b>${esc(name("mdimension", a.dimension))} · ${esc(alertLabel(a))}</b>
    <div>${esc(t("mediation.alert.counts", { observed: a.observed,
      expected: a.expected.toFixed(1), ratio: a.ratio.toFixed(1) }))}</div>
    <div class="med-test">${esc(t("mediation.alert.test", { p: a.p_adjusted.toPrecision(2) }))}</div>
    <div class="med-to">${esc(t("mediation.alert.to", { authority: a.authority }))}</div>
    <p class="med-notice">${esc(half(a.notice))}</p></li>`;
}

/** 多维预警: the alerts of a month (default: the service's last month). */
async function loadWarnings(month) {
  const page = await api(`/mediation/warnings${month ? `?month=${encodeURIComponent(month)}` : ""}`);
  $("#med-month").value = page.month;
  const list = $("#med-alerts");
  list.dataset.month = page.month;
  list.dataset.count = String(page.alerts.length);
  $("#med-n").textContent = String(page.alerts.length);
  $("#med-cells").textContent = page.alerts.length ? t("mediation.cells",
    { month: page.month, cells: page.cells, n: page.alerts.length })
    : t("mediation.noalerts", { month: page.month });
  list.innerHTML = page.alerts.map(alertItem).join("");
}

/** Show the view to the mediation desks (called by enter()). */
async function loadMediation(me) {
  const box = $("#mediation");
  box.hidden = !MEDIATION_DESKS.has(me.role);
  if (box.hidden) return;
  await loadWarnings("").catch((err) => {  // the board stands without the warnings
    if (err instanceof SignInNeeded) throw err;
    medMessage(err.message);
  });
}

function clearMediation() {
  med.registry = [];
  med.caseId = null;
  $("#mediation").hidden = true;
  $("#med-alerts").replaceChildren();
  $("#med-status").textContent = "";
  $("#med-cells").textContent = "";
}

$("#med-month-form").addEventListener("submit", guardedMed(async (event) => {
  event.preventDefault();
  await loadWarnings($("#med-month").value);
}));
/** The case forms of the panel: each write, its button held until the service answers. */
async function submitCase(event) {
  event.preventDefault();
  const form = event.target;
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    if (form.id === "med-open") await registerCase(form);
    else if (form.id === "med-session") await addSession(form);
    else if (form.id === "med-outcome") await closeCase(form);
    else if (form.id === "med-fulfil") await recordFulfilment(form);
  } finally {
    submit.disabled = false;
  }
}
