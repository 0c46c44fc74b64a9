/* gridgis live updates: the console follows GET /events/stream (server-sent events).
 *
 * The browser's EventSource cannot send the bearer token, so each connection first asks
 * POST /events/ticket (with the token) for a 60-second ticket and opens the stream with it.
 * The browser reconnects by itself with Last-Event-ID; once its ticket has expired the
 * stream answers 401 and the EventSource closes: a new ticket is fetched and the stream
 * resumes after the last event seen (last_event_id), so no change is lost between.
 *
 * startLive(hooks) — hooks.ticket(): the ticket's answer (through the console's api()),
 * hooks.onChange(message): a change of an incident the person may see,
 * hooks.onReset(): reload everything (the stream fell behind), hooks.onStatus(text).
 * stopLive() ends it (sign out).
 */
"use strict";

const live = { source: null, lastId: null, hooks: null, retryMs: 1000, timer: null, up: false };

function liveStatus(key) {
  live.up = key === "live.on";
  if (live.hooks && live.hooks.onStatus) live.hooks.onStatus(t(key), live.up);
}

function liveRetry() {
  clearTimeout(live.timer);
  live.timer = setTimeout(liveConnect, live.retryMs);
  live.retryMs = Math.min(live.retryMs * 2, 30000);  // 1, 2, 4 … 30 s while the service is away
}

async function liveConnect() {
  if (!live.hooks) return;
  if (live.source) live.source.close();
  live.source = null;
  let answer;
  try {
    answer = await live.hooks.ticket();
  } catch (err) {
    liveStatus("live.off");
    if (err instanceof SignInNeeded) return;  // the console asks to sign in again
    liveRetry();
    return;
  }
  if (!live.hooks) return;  // signed out meanwhile
  const url = live.lastId ? `${answer.stream}&last_event_id=${encodeURIComponent(live.lastId)}`
    : answer.stream;
  const source = new EventSource(url);
  live.source = source;
  const seen = (e) => { if (e.lastEventId) live.lastId = e.lastEventId; };
  source.addEventListener("ready", (e) => {
    seen(e);
    live.retryMs = 1000;
    liveStatus("live.on");
  });
  source.addEventListener("change", (e) => {
    seen(e);
    live.hooks.onChange(JSON.parse(e.data));
  });
  source.addEventListener("reset", (e) => {
    seen(e);
    live.hooks.onReset();
  });
  source.addEventListener("bye", () => {
    source.close();
    liveStatus("live.off");
    liveRetry();  // a new ticket: 401 if the sign-in has ended, and the console asks again
  });
  source.onerror = () => {
    if (live.source !== source) return;
    liveStatus("live.reconnecting");
    // CONNECTING: the browser retries itself; CLOSED (a refusal, e.g. an expired ticket): we do
    if (source.readyState === EventSource.CLOSED) liveRetry();
  };
}

/** Follow the stream as the signed-in person (again after a sign-in: it resumes). */
function startLive(hooks) {
  live.hooks = hooks;
  clearTimeout(live.timer);
  liveConnect();
}

/** Stop following (signing out): the next person starts afresh. */
function stopLive() {
  clearTimeout(live.timer);
  if (live.source) live.source.close();
  live.source = null;
  live.hooks = null;
  live.lastId = null;
  live.retryMs = 1000;
}
