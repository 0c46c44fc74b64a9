/*
 * 基础信息 · 今日任务 (一标三实) for a grid worker, on the phone or the desk:
 * the day's task list with its lights (overdue first) and the count of overdue visits,
 * 找地址 (GET /baseinfo/addresses?q=), the households and people of an address (masked as
 * the service gives them), 变更 a household's use or floor area (PATCH with the version read:
 * a 409 says someone changed it meanwhile) and 走访记录 (POST /baseinfo/visits, with the
 * phone's position when it gives one). Loaded after console.js, whose api(), t(), name(),
 * esc() and position() it uses.
 */
"use strict";

const BASEINFO_READERS = new Set(["grid_worker", "community"]);
const HOUSE_USES = ["owner_occupied", "rented", "vacant", "shop"];
const bi = { tasks: [], address: null };

function biMessage(text) { $("#bi-status").textContent = text; }

function taskState(task) {
  if (task.state === "overdue") return t("baseinfo.overdue.days", { n: task.overdue_days });
  return name("taskstate", task.state);
}

/** The visit button of a task (none once it is done today). */
function visitButton(task) {
  if (task.state === "done") return "";
  return `<button type="button" class="bi-visit" data-task="${esc(task.task_code)}"
    data-target="${esc(task.target_id)}">${esc(t("baseinfo.visit"))}</button>`;
}

function taskItem(task) {
  return `<li class="bi-task ${esc(task.light)}" data-light="${esc(task.light)}"
    data-task="${esc(task.task_code)}" data-target="${esc(task.target_id)}" data-state="${esc(task.state)}">
    <span class="dot ${esc(task.light)}" title="${esc(t(`light.${task.light}`))}"></span>
    <b>${esc(task.task_name)}</b> ${esc(task.label || task.target_id)}
    <small>${esc(taskState(task))}</small> ${visitButton(task)}</li>`;
}

/** 今日任务: the grid worker's list (overdue first, as the service orders it) and the badge. */
async function loadTasks() {
  const list = await api("/baseinfo/tasks");
  bi.tasks = list.items;
  const overdue = list.counts.overdue || 0;
  const badge = $("#bi-overdue");
  badge.textContent = t("baseinfo.badge", { n: overdue });
  badge.dataset.n = String(overdue);
  badge.hidden = overdue === 0;
  $("#bi-counts").textContent = t("baseinfo.counts", {
    due: list.counts.due || 0, done: list.counts.done || 0, overdue });
  $("#bi-tasks").innerHTML = list.items.slice(0, 50).map(taskItem).join("");
}

/** 找地址: the addresses of one's area whose text holds the words. */
async function findAddress(event) {
  event.preventDefault();
  const q = $("#bi-q").value.trim();
  if (!q) return;
  const page = await api(`/baseinfo/addresses?q=${encodeURIComponent(q)}&limit=20`);
  $("#bi-addresses").innerHTML = page.items.map((a) => `<li class="bi-address"
    data-id="${esc(a.address_id)}" tabindex="0" role="button">${esc(a.full_text || a.address_id)}</li>`).join("");
  biMessage(page.items.length ? t("baseinfo.found", { n: page.matched }) : t("baseinfo.none"));
}

function houseRow(h) {
  const uses = HOUSE_USES.map((u) => `<option value="${u}"${u === h.use ? " selected" : ""}>${esc(name("houseuse", u))}</option>`).join("");
  const tasks = bi.tasks.filter((task) => task.target_id === h.house_id).map(visitButton).join("");
  return `<li class="bi-house" data-id="${esc(h.house_id)}" data-version="${h.version}">
    <b>${esc(t("baseinfo.room", { room: h.room || "—" }))}</b>
    <label>${esc(t("baseinfo.use"))} <select name="use">${uses}</select></label>
    <label>${esc(t("baseinfo.area"))} <input name="floor_area_m2" type="number" min="1" step="0.1"
      value="${h.floor_area_m2 ?? ""}" inputmode="decimal"></label>
    <button type="button" class="bi-save">${esc(t("baseinfo.save"))}</button> ${tasks}</li>`;
}

function personRow(p) {
  const tasks = bi.tasks.filter((task) => task.target_id === p.person_id).map(visitButton).join("");
  const tags = (p.tags || []).map((tag) => name("persontag", tag)).join("、");
  return `<li class="bi-person" data-id="${esc(p.person_id)}">${esc(p.name || "")}
    <small>${esc(p.id_number || "")} ${esc(p.phone || "")} ${esc(name("residence", p.residence))}
    ${esc(tags)}</small> ${tasks}</li>`;
}

/** An address's households (户) and people (人), as the service shows them to the reader. */
async function openAddress(id) {
  const q = `address_id=${encodeURIComponent(id)}&limit=200`;
  const [address, houses, people] = await Promise.all([api(`/baseinfo/addresses/${encodeURIComponent(id)}`),
    api(`/baseinfo/houses?${q}`), api(`/baseinfo/people?${q}`)]);
  bi.address = id;
  const box = $("#bi-address");
  box.dataset.id = id;
  box.hidden = false;
  const masked = people.items.some((p) => p.masked);
  const addressTasks = bi.tasks.filter((task) => task.target_id === id).map(visitButton).join("");
  box.innerHTML = `<h3>${esc(address.record.full_text || id)} ${addressTasks}</h3>
    <h4>${esc(t("baseinfo.houses", { n: houses.matched }))}</h4>
    <ol class="bi-houses">${houses.items.map(houseRow).join("")}</ol>
    <h4>${esc(t("baseinfo.people", { n: people.matched }))}${masked ? ` <small>${esc(t("baseinfo.masked"))}</small>` : ""}</h4>
    <ol class="bi-people">${people.items.map(personRow).join("")}</ol>`;
}

/** 变更 a household: the fields changed, with the version read (409: changed meanwhile). */
async function saveHouse(row) {
  const fields = { use: row.querySelector("[name=use]").value };
  const area = row.querySelector("[name=floor_area_m2]").value;
  if (area !== "") fields.floor_area_m2 = Number(area);
  try {
    const saved = await api(`/baseinfo/houses/${encodeURIComponent(row.dataset.id)}`, {
      method: "PATCH", body: JSON.stringify({ fields, version: Number(row.dataset.version) }) });
    row.dataset.version = String(saved.version);
    biMessage(t("baseinfo.saved", { id: row.dataset.id, version: saved.version }));
  } catch (err) {
    if (err.status === 409) { biMessage(t("baseinfo.conflict")); return; }
    throw err;
  }
}

/** 走访记录: a visit of a task's target now, where the phone is when it says. */
async function recordVisit(button) {
  const body = { task_code: button.dataset.task, target_id: button.dataset.target };
  button.disabled = true;
  try {
    const pos = await position();
    body.lon = pos.coords.longitude;
    body.lat = pos.coords.latitude;
  } catch { /* no position: the visit is recorded without one */ }
  try {
    const visit = await api("/baseinfo/visits", { method: "POST", body: JSON.stringify(body) });
    biMessage(t(visit.lon === null ? "baseinfo.visited" : "baseinfo.visited.at",
      { id: visit.visit_id, at: when(visit.done_at) }));
    await loadTasks();
    if (bi.address) await openAddress(bi.address);
  } finally {
    button.disabled = false;
  }
}

/** Show the view to those who keep base information (called by enter()). */
async function loadBaseinfo(me) {
  const box = $("#baseinfo");
  box.hidden = !BASEINFO_READERS.has(me.role);
  if (box.hidden) return;
  $("#bi-today").hidden = me.role !== "grid_worker";
  if (me.role === "grid_worker") await loadTasks();
}

function clearBaseinfo() {
  bi.tasks = [];
  bi.address = null;
  $("#baseinfo").hidden = true;
  for (const id of ["#bi-tasks", "#bi-addresses", "#bi-address"]) $(id).replaceChildren();
  $("#bi-status").textContent = "";
}

$("#bi-find").addEventListener("submit", guardedBi(findAddress));
$("#baseinfo").addEventListener("click", guardedBi(async (event) => {
  const visit = event.target.closest(".bi-visit");
  if (visit) return recordVisit(visit);
  const save = event.target.closest(".bi-save");
  if (save) return saveHouse(save.closest(".bi-house"));
  const address = event.target.closest(".bi-address");
  if (address) return openAddress(address.dataset.id);
  return undefined;
}));

function guardedBi(fn) {
  return (...args) => fn(...args).catch((err) => {
    if (!(err instanceof SignInNeeded)) biMessage(err.message);
  });
}
