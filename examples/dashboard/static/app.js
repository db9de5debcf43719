// The dashboard page: every Server-Sent Event carries the whole picture
// (see message in view.go), so rendering is a pure function of the last
// message. Names are inserted as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let last = null;          // the last message
let streamUp = false;     // is the event stream to the dashboard open?
let lostAt = 0;           // local time the meeting link was reported lost

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function clock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleTimeString();
}

function banner() {
  let state, text;
  const c = last && last.connection;
  if (!streamUp) {
    state = "offline"; text = "Dashboard unreachable — retrying…";
  } else if (!c || c.state === "connecting") {
    state = "connecting"; text = "Connecting to the meeting…";
  } else if (c.state === "unowned") {
    state = "unowned"; text = "No fleet worker holds this meeting now — the fleet is moving it; the picture may be out of date";
  } else if (c.state === "live" && ownerChanged(last)) {
    const oc = last.fleet.ownerChanges[last.fleet.ownerChanges.length - 1];
    state = "owner-changed"; text = `● Live · owner changed at ${clock(oc.at)}: now watched by ${oc.to}`;
  } else if (c.state === "reconnecting") {
    const secs = ((Date.now() - lostAt) / 1000).toFixed(0);
    state = "reconnecting"; text = `Reconnecting… (${secs}s) — the picture may be out of date`;
  } else if (c.state === "live" && last.resyncing.length > 0) {
    state = "resyncing"; text = "Live · resyncing…";
  } else if (c.state === "live" && c.blindMs > 0) {
    state = "resynced"; text = `Live · resynced after ${(c.blindMs / 1000).toFixed(1)}s`;
  } else if (c.state === "live") {
    state = "live"; text = "● Live";
  } else if (c.state === "ended") {
    state = "ended"; text = "The meeting has ended — this is the final picture";
  } else {
    state = "stopped"; text = "Stopped watching the meeting — see the dashboard's log";
  }
  const b = $("banner");
  b.dataset.state = state;
  b.textContent = text;
  $("main").classList.toggle("stale", state === "offline" || state === "reconnecting" || state === "unowned");
}

// ownerChanged: the meeting moved to the worker that holds it now.
function ownerChanged(m) {
  const f = m.fleet;
  return !!f && f.ownerChanges.length > 0 && f.ownerChanges[f.ownerChanges.length - 1].to === f.owner;
}

// renderFleet shows who watches the meeting in a fleet (-nats), its moves
// and the changes the owners published, newest first.
function renderFleet(m) {
  const f = m.fleet;
  $("fleet").hidden = !f;
  if (!f) return;
  $("owner").textContent = f.owner || "nobody";
  $("owner").dataset.owner = f.owner;
  $("owner-changes").replaceChildren(...f.ownerChanges.map((oc) =>
    el("li", "", `${clock(oc.at)} owner changed: ${oc.from} → ${oc.to}`)));
  $("change-list").replaceChildren(...f.changes.slice().reverse().map((c) => {
    const li = el("li");
    li.dataset.kind = c.kind;
    li.dataset.inferred = String(!!c.inferred);
    li.append(el("span", "when", clock(c.at) + " "), el("span", "text", c.text));
    if (c.inferred) li.append(el("span", "badge inferred", "while moving"));
    return li;
  }));
}

const stateNames = { Created: "In progress", Schedule: "Scheduled", Destroyed: "Ended" };

function renderStatus(m) {
  const s = m.status;
  // A session that learnt of the end from the token service never saw the
  // final status push: the connection state is the better witness.
  const ended = m.connection.state === "ended" || s.state === "Destroyed";
  $("st-state").textContent = ended ? "Ended" : stateNames[s.state] || s.state || "—";
  $("st-mode").textContent = s.mode || "—";
  $("st-locked").textContent = s.locked ? "Locked" : "Unlocked";
  $("st-locked").dataset.on = String(s.locked);
  $("st-recording").textContent = s.recording ? "● Recording" : "Off";
  $("st-recording").dataset.on = String(s.recording);
  $("st-count").textContent = String(m.participants.length);
  $("st-hands").textContent = String(m.participants.filter((p) => p.handRaised).length);
  $("st-waiting").textContent = s.waitingRoom ? "On" : "Off";
  $("st-waiting").dataset.on = String(!!s.waitingRoom);
  $("st-callin").textContent = callIn[s.callInRestriction] || "Restricted (" + s.callInRestriction + ")";
  $("st-audience").textContent = String(s.audienceCount || 0);
  $("st-paused").textContent = s.paused ? "Paused" : "No";
  $("st-paused").dataset.on = String(!!s.paused);
}

// callIn names the vendor's callInRestriction values.
const callIn = { 0: "Anyone", 2: "Enterprise users", 3: "Invited only" };

function renderCaptions(m) {
  $("captions").hidden = m.captions.length === 0;
  $("caption-list").replaceChildren(...m.captions.map((c) => {
    const li = el("li");
    li.append(el("span", "who", c.name), el("span", "said", c.text));
    if (c.at) li.title = clock(c.at);
    return li;
  }));
}

function renderSpeakers(m) {
  const box = $("speakers");
  box.replaceChildren(...(m.speakers.length
    ? m.speakers.map((s) => el("span", "pill", s.name || s.pid))
    : [el("span", "muted-text", "nobody")]));
}

// cell shows a badge of class cls when on, else quiet text.
function cell(on, cls, onText, offText) {
  const td = el("td");
  td.append(on ? el("span", "badge " + cls, onText) : el("span", "off", offText));
  return td;
}

function renderRoster(m) {
  const rows = m.participants.map((p) => {
    const tr = el("tr");
    tr.dataset.pid = p.pid;
    for (const k of ["handRaised", "muted", "sharing", "video", "speaking"]) tr.dataset[k] = String(p[k]);
    tr.classList.toggle("speaking", p.speaking);
    tr.classList.toggle("hand", p.handRaised);
    const name = el("td");
    name.append(el("span", "name", p.name || p.pid));
    if (p.speaking) name.append(el("span", "badge live", "speaking"));
    const role = el("td");
    role.append(el("span", "badge " + (p.role || "none"), p.role || "—"));
    tr.append(name, role,
      cell(p.handRaised, "hand-up", "Raised", ""),
      cell(p.muted, "muted", "Muted", "On"),
      cell(p.sharing, "sharing", "Sharing", "—"),
      cell(p.video, "video", "On", "Off"));
    return tr;
  });
  $("roster").tBodies[0].replaceChildren(...rows);
  $("empty").hidden = rows.length > 0;
}

function renderWaiting(m) {
  $("waiting").hidden = m.waitingRoom.length === 0;
  $("waiting-list").replaceChildren(...m.waitingRoom.map((w) =>
    el("li", "", (w.name || w.pid) + (w.admitted ? " (admitted, joining)" : ""))));
}

function render(m) {
  if (m.connection.state === "reconnecting" && (!last || last.connection.state !== "reconnecting")) {
    lostAt = Date.now();
  }
  last = m;
  document.title = (m.title ? m.title + " — " : "") + "confwatch dashboard";
  $("title").textContent = m.title || "Waiting for the meeting…";
  $("conf").textContent = m.conferenceId ? "Meeting " + m.conferenceId : "";
  $("updated").textContent = m.updatedAt ? "updated " + clock(m.updatedAt) : "";
  $("seq").textContent = "update #" + m.seq;
  renderStatus(m);
  renderSpeakers(m);
  renderCaptions(m);
  renderRoster(m);
  renderWaiting(m);
  renderFleet(m);
  banner();
}

const stream = new EventSource("events");
stream.onopen = () => { streamUp = true; banner(); };
stream.onmessage = (ev) => { streamUp = true; render(JSON.parse(ev.data)); };
stream.onerror = () => { streamUp = false; banner(); };
// Keep the reconnecting counter moving between messages.
setInterval(() => { if (last && last.connection.state === "reconnecting") banner(); }, 500);
