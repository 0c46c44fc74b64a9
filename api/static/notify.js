/*
 * 桌面通知: ask a dispatcher once, with the reason in words, whether the console may show a
 * desktop notification when an urgent report (15-minute response) comes in; the board's alert
 * and tone stay as they are (console.js refreshUrgent() notifies once permission is granted).
 * The answer is kept in this browser (a flag, no personal data), so the question comes once.
 * Loaded after console.js, whose t(), esc(), state and ACCEPTORS it uses.
 */
"use strict";

const NOTIFY_ASKED_KEY = "gridgis.notify.asked";

function notifyAsked() {
  try { return localStorage.getItem(NOTIFY_ASKED_KEY) !== null; } catch { return true; }
}

function notifyRemember(answer) {
  try { localStorage.setItem(NOTIFY_ASKED_KEY, answer); } catch { /* private mode: ask again */ }
}

/** The question, under the urgent alert: why, allow, not now. */
function notifyBanner() {
  const box = document.createElement("div");
  box.id = "notify-ask";
  box.className = "notify-ask";
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", t("notify.title"));
  box.innerHTML = `<p>${esc(t("notify.why"))}</p>
    <button type="button" id="notify-allow">${esc(t("notify.allow"))}</button>
    <button type="button" id="notify-later">${esc(t("notify.later"))}</button>
    <span id="notify-result" class="meta" role="status"></span>`;
  box.querySelector("#notify-allow").addEventListener("click", async () => {
    let answer = "default";
    try { answer = await Notification.requestPermission(); } catch { answer = "denied"; }
    notifyRemember(answer);
    if (answer === "granted") { box.remove(); return; }
    box.querySelector("#notify-result").textContent = t("notify.denied");
    box.querySelector("#notify-allow").remove();
    box.querySelector("#notify-later").textContent = t("notify.ok");
  });
  box.querySelector("#notify-later").addEventListener("click", () => {
    notifyRemember("later");
    box.remove();
  });
  return box;
}

/** After sign-in: a dispatcher whose browser has not been asked yet is asked once. */
function notifyMaybeAsk() {
  if (document.body.dataset.ready !== "true" || !state.me || !ACCEPTORS.has(state.me.role)) return;
  if (!window.Notification || Notification.permission !== "default" || notifyAsked()) return;
  if ($("#notify-ask")) return;
  $("#urgent").after(notifyBanner());
}

new MutationObserver(notifyMaybeAsk).observe(document.body,
  { attributes: true, attributeFilter: ["data-ready"] });
notifyMaybeAsk();
