// The status page's script: keeps the page live and asks before every action.
//
// The server renders everything (gate/web/page/render). This script only
// - listens to /api/v1/events and, when something changed, fetches the affected region again
//   (/page/doors, /page/side) and swaps it in: at most one fetch in flight per region, the
//   events that arrive meanwhile folded into one more fetch;
// - says loudly when the stream is down, since the signals may then be out of date;
// - keeps the "waiting for" clocks counting between refreshes;
// - asks for confirmation, then calls the API with the session's CSRF token.
// There is no action that releases a licence hold: only the central office can.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const regions = {
    doors: document.getElementById("doors"),
    side: document.getElementById("side"),
  };
  const conn = document.getElementById("conn");
  const connText = document.getElementById("conn-text");
  const lost = document.getElementById("lost");
  const notice = document.getElementById("notice");
  const clockEl = document.getElementById("clock");
  let serverOffset = 0; // server clock minus this browser's clock, in ms

  // --- time --------------------------------------------------------------------------------

  // Same wording as page.duration in Python.
  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const pad = (n) => String(n).padStart(2, "0");
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + pad(s % 60) + " s";
    if (s < 86400) return Math.floor(s / 3600) + " h " + pad(Math.floor((s % 3600) / 60)) + " min";
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  }

  function readServerTime() {
    const inner = regions.doors.querySelector("[data-now]");
    if (inner) {
      const now = Date.parse(inner.dataset.now);
      if (!Number.isNaN(now)) serverOffset = now - Date.now();
    }
  }

  function tick() {
    const now = Date.now() + serverOffset;
    for (const el of document.querySelectorAll(".since[data-since]")) {
      const since = Date.parse(el.dataset.since);
      if (!Number.isNaN(since)) el.textContent = duration((now - since) / 1000);
    }
    clockEl.textContent = new Date(now).toLocaleTimeString([], { hour12: false });
  }

  // --- regions -----------------------------------------------------------------------------

  function loginAgain() {
    window.location.assign(document.body.dataset.login || "/login");
  }

  // What makes an element the same one after a swap: its id, or the attributes the page
  // gives every button, tile and link. Keyboard focus and the open "why"s survive a refresh.
  const KEYS = ["data-action", "data-url", "data-history", "data-ack", "data-door", "data-shipment"];
  function selectorOf(el) {
    if (!el || el === document.body) return null;
    if (el.id) return "#" + CSS.escape(el.id);
    const parts = KEYS.filter((k) => el.hasAttribute(k)).map(
      (k) => "[" + k + '="' + CSS.escape(el.getAttribute(k)) + '"]'
    );
    if (!parts.length) return null;
    return el.tagName.toLowerCase() + parts.join("");
  }

  function swap(region, text) {
    const active = document.activeElement;
    const focused = region.contains(active) ? selectorOf(active) : null;
    const summary = active && active.tagName === "SUMMARY" && active.parentElement;
    const focusedWhy = summary && summary.id ? summary.id : null;
    const open = Array.from(region.querySelectorAll("details[open][id]"), (d) => d.id);
    region.innerHTML = text;
    for (const id of open) {
      const d = document.getElementById(id);
      if (d) d.open = true;
    }
    let target = null;
    if (focusedWhy) {
      const d = document.getElementById(focusedWhy);
      target = d && d.querySelector("summary");
    } else if (focused) {
      target = region.querySelector(focused);
    }
    if (target) target.focus({ preventScroll: true });
  }

  function makeRefresher(name) {
    const region = regions[name];
    const url = region.dataset.fragment;
    let busy = false; // a fetch is in flight
    let pending = false; // a fetch is scheduled
    let dirty = false; // something changed while a fetch was in flight
    let last = region.innerHTML;

    async function run() {
      pending = false;
      busy = true;
      dirty = false;
      try {
        const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
        if (response.status === 401) return loginAgain();
        if (response.ok) {
          const text = await response.text();
          if (text !== last) {
            swap(region, text);
            last = text;
            if (name === "doors") readServerTime();
            region.dispatchEvent(new Event("swapped"));
            tick();
          }
        }
      } catch (err) {
        // The event stream reports the outage; the next event or timer tries again.
      } finally {
        busy = false;
        if (dirty) refresh();
      }
    }

    function refresh() {
      if (busy) {
        dirty = true;
      } else if (!pending) {
        pending = true;
        setTimeout(run, 60);
      }
    }
    return refresh;
  }

  const refresh = { doors: makeRefresher("doors"), side: makeRefresher("side") };
  function refreshAll() {
    refresh.doors();
    refresh.side();
  }

  // --- the event stream --------------------------------------------------------------------

  function setLive(live) {
    conn.classList.toggle("conn-live", live);
    conn.classList.toggle("conn-lost", !live);
    conn.classList.remove("conn-wait");
    connText.textContent = live ? "Live" : "Disconnected";
    lost.hidden = live;
    document.body.classList.toggle("disconnected", !live);
  }

  let source = null;
  function connect() {
    source = new EventSource("/api/v1/events");
    source.addEventListener("hello", () => {
      setLive(true);
      refreshAll();
    });
    for (const kind of ["scan", "shipment", "door", "door_hold", "request", "licence", "table", "lists", "reference"]) {
      source.addEventListener(kind, refreshAll);
    }
    for (const kind of ["alert", "link", "page"]) {
      source.addEventListener(kind, () => {
        refresh.side();
        refresh.doors();
      });
    }
    source.onerror = async () => {
      setLive(false);
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. a 401): find out whether the session ended.
        try {
          const r = await fetch("/page/side", { credentials: "same-origin" });
          if (r.status === 401) return loginAgain();
        } catch (err) {
          // still down
        }
        setTimeout(connect, 3000);
      }
    };
  }

  // --- actions -----------------------------------------------------------------------------

  const confirmDialog = document.getElementById("confirm");
  const historyDialog = document.getElementById("history");

  function show(kind, title, items) {
    notice.replaceChildren();
    notice.className = "notice " + (kind === "ok" ? "notice-ok" : "notice-bad");
    const strong = document.createElement("strong");
    strong.textContent = title;
    notice.append(strong);
    if (items && items.length) {
      const ul = document.createElement("ul");
      for (const item of items) {
        const li = document.createElement("li");
        li.textContent = item;
        ul.append(li);
      }
      notice.append(ul);
    }
    notice.hidden = false;
    clearTimeout(show.timer);
    show.timer = setTimeout(() => (notice.hidden = true), kind === "ok" ? 5000 : 15000);
  }

  function ask(title, text, confirmLabel) {
    document.getElementById("confirm-title").textContent = title;
    document.getElementById("confirm-text").textContent = text;
    document.getElementById("confirm-yes").textContent = confirmLabel;
    confirmDialog.returnValue = "";
    return new Promise((resolve) => {
      confirmDialog.addEventListener("close", () => resolve(confirmDialog.returnValue === "yes"), {
        once: true,
      });
      confirmDialog.showModal();
      document.getElementById("confirm-no").focus();
    });
  }

  async function act(button) {
    const ok = await ask(button.dataset.title, button.dataset.text, button.dataset.confirm);
    if (!ok) return;
    button.disabled = true;
    try {
      const headers = { "X-CSRF-Token": csrf, Accept: "application/json" };
      if (button.dataset.body) headers["Content-Type"] = "application/json";
      const response = await fetch(button.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: headers,
        body: button.dataset.body || undefined,
      });
      if (response.status === 401) return loginAgain();
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        const what = body.state
          ? "shipment " + body.id + " is now " + body.state
          : "door " + body.id + " is no longer held";
        show("ok", button.dataset.done + ": " + what);
      } else {
        const blocking = (body.blocking || []).map(
          (b) => b.key + ": " + b.decision.replace("_", " ") + " (" + b.reasons.join(", ") + ")"
        );
        show("bad", (body.title || "Refused") + ": " + (body.detail || response.status), blocking);
      }
    } catch (err) {
      show("bad", "The gate did not answer: nothing is known to have changed.");
    } finally {
      button.disabled = false;
      refreshAll();
    }
  }

  async function history(button) {
    document.getElementById("history-title").textContent = button.dataset.title;
    const body = document.getElementById("history-body");
    body.textContent = "Loading…";
    historyDialog.showModal();
    const response = await fetch(button.dataset.history, { credentials: "same-origin" });
    if (response.status === 401) return loginAgain();
    if (response.ok) {
      body.innerHTML = await response.text(); // rendered and escaped by the gate
    } else {
      body.textContent = "The history could not be loaded (" + response.status + ").";
    }
  }

  async function acknowledge(button) {
    button.disabled = true;
    try {
      const response = await fetch(button.dataset.ack, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
      });
      if (response.status === 401) return loginAgain();
      const body = await response.json().catch(() => ({}));
      if (response.ok) show("ok", "Alert acknowledged by " + body.acked_by);
      else show("bad", (body.title || "Refused") + ": " + (body.detail || response.status));
    } catch (err) {
      show("bad", "The gate did not answer: the alert is not acknowledged.");
    } finally {
      button.disabled = false;
      refreshAll();
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(
      "button[data-action], button[data-history], button[data-ack]"
    );
    if (!button) return;
    event.preventDefault();
    if (button.dataset.action) act(button);
    else if (button.dataset.ack) acknowledge(button);
    else history(button);
  });

  // --- finding shipments, closed ones too ---------------------------------------------------

  const findForm = document.getElementById("find-form");
  const findResults = document.getElementById("find-results");
  findForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const query = new URLSearchParams(new FormData(findForm)).toString();
    findResults.textContent = "Searching…";
    try {
      const response = await fetch("/page/shipments?" + query, { credentials: "same-origin" });
      if (response.status === 401) return loginAgain();
      if (response.ok) findResults.innerHTML = await response.text(); // escaped by the gate
      else findResults.textContent = "The search failed (" + response.status + ").";
    } catch (err) {
      findResults.textContent = "The gate did not answer.";
    }
  });

  // --- this panel's preferences (kept in its browser) ------------------------------------

  const store = {
    get: (k) => {
      try {
        return window.localStorage.getItem(k);
      } catch (err) {
        return null;
      }
    },
    set: (k, v) => {
      try {
        window.localStorage.setItem(k, v);
      } catch (err) {
        // a browser without storage: the choice lasts until the page is reloaded
      }
    },
  };

  // A dark theme for night shifts: the system's choice (prefers-color-scheme) unless this
  // panel chose otherwise.
  const themeButton = document.getElementById("theme");
  function dark() {
    const chosen = document.documentElement.dataset.theme;
    if (chosen) return chosen === "dark";
    return window.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function showTheme() {
    themeButton.textContent = dark() ? "Light" : "Dark";
    themeButton.setAttribute("aria-label", dark() ? "Use the light theme" : "Use the dark theme");
  }
  const savedTheme = store.get("gate.theme");
  if (savedTheme === "dark" || savedTheme === "light") {
    document.documentElement.dataset.theme = savedTheme;
  }
  themeButton.addEventListener("click", () => {
    const next = dark() ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    store.set("gate.theme", next);
    showTheme();
  });
  showTheme();

  // A sound on a new STOP: muted unless this panel turned it on (remembered here).
  const soundButton = document.getElementById("sound");
  let audio = null;
  let soundOn = store.get("gate.sound") === "on";
  function showSound() {
    soundButton.textContent = soundOn ? "Sound on" : "Sound off";
    soundButton.setAttribute("aria-pressed", soundOn ? "true" : "false");
  }
  soundButton.addEventListener("click", () => {
    soundOn = !soundOn;
    store.set("gate.sound", soundOn ? "on" : "off");
    if (soundOn && !audio && window.AudioContext) audio = new AudioContext();
    showSound();
  });
  showSound();
  function beep() {
    document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
    if (!soundOn) return;
    if (!audio && window.AudioContext) audio = new AudioContext();
    if (!audio) return;
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.2;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.6);
  }
  let stopped = new Set(
    Array.from(document.querySelectorAll('.tile[data-rank="0"]'), (t) => t.dataset.door)
  );
  function watchStops() {
    const now = new Set(
      Array.from(document.querySelectorAll('.tile[data-rank="0"]'), (t) => t.dataset.door)
    );
    for (const door of now) {
      if (!stopped.has(door)) {
        beep();
        break;
      }
    }
    stopped = now;
  }
  regions.doors.addEventListener("swapped", watchStops);

  readServerTime();
  tick();
  setInterval(tick, 1000);
  // Ages, the link's health and the session: refreshed now and then even when nothing happens.
  setInterval(refreshAll, 20000);
  connect();
})();
