// iotlm's pages: live updates from /api/events (server-sent events) and small conveniences. No build step.
(function () {
  "use strict";
  window.iotlmUpdates = [];
  window.iotlmNotices = [];  // the notices received live (tests read these)  // {device, attribute, value, received, shown}: the browser benchmark reads these

  function cssEscape(s) { return window.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/["\\]/g, "\\$&"); }

  function judge(li, value) {
    const low = li.dataset.low === "" ? null : Number(li.dataset.low);
    const high = li.dataset.high === "" ? null : Number(li.dataset.high);
    const judgement = low !== null && value < low ? "low" : high !== null && value > high ? "high" : "ok";
    li.classList.remove("band-low", "band-ok", "band-high");
    li.classList.add("band-" + judgement);
    const marker = li.querySelector(".marker");
    if (marker) marker.textContent = judgement === "ok" ? "" : (judgement === "high" ? "▲" : "▼") + " out of band";
  }

  function onState(data, received) {
    const id = cssEscape(data.device_id);
    for (const [attribute, value] of Object.entries(data.changed || {})) {
      const shown = value === null ? "?" : String(value);  // the value as the controls carry it
      const said = (data.shown || {})[attribute] || shown;  // as a person reads it: "occupied", "fan only"
      document.querySelectorAll('[data-device="' + id + '"]').forEach(function (card) {
        card.querySelectorAll('[data-attr="' + cssEscape(attribute) + '"]').forEach(function (el) {
          if (el.tagName === "SELECT") el.value = shown; else el.textContent = said;
        });
        if (attribute === "state") {
          card.classList.toggle("active", ["on", "open", "unlocked", "playing"].indexOf(shown) >= 0);
          card.querySelectorAll("button[data-option]").forEach(function (b) { b.hidden = b.dataset.option === shown; });
        } else {
          card.querySelectorAll('input[type=range]').forEach(function (input) {
            if (input.closest("label") && input.closest("label").querySelector('[data-attr="' + cssEscape(attribute) + '"]')) input.value = shown;
          });
        }
      });
      document.querySelectorAll('[data-source="' + id + "/" + cssEscape(attribute) + '"]').forEach(function (li) {
        const el = li.querySelector(".reading-value");
        if (el && typeof value === "number") { el.textContent = String(Math.round(value * 10) / 10); judge(li, value); }
      });
      window.iotlmUpdates.push({device: data.device_id, attribute: attribute, value: value, received: received, shown: Date.now()});
    }
  }

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (err) { return ""; }
  }

  function act(id, button, out) {  // a notice's action, as the person signed in, through the gate
    button.disabled = true;
    fetch("/api/notifications/" + id + "/act", {method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": csrf(), "Content-Type": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (body) { out.textContent = body.said || body.error || "done"; out.dataset.done = body.done ? "yes" : "no"; })
      .catch(function () { out.textContent = "The request failed."; button.disabled = false; });
  }

  function onNotice(data) {
    window.iotlmNotices.push(data);
    if (!data.text) {  // what became of one: over, acted on
      document.querySelectorAll('[data-notice="' + data.id + '"]').forEach(function (el) {
        el.className = el.className.replace(/status-\w+/, "status-" + data.status);
        const status = el.querySelector(".status");
        if (status) status.textContent = data.status;
      });
      return;
    }
    const list = document.getElementById("notices");  // the Notices page: the newest first
    if (list) {
      const item = document.createElement("li");
      item.className = "notice level-" + data.level + " status-" + data.status;
      item.dataset.notice = data.id;
      const p = document.createElement("p");
      p.textContent = data.text;
      const small = document.createElement("small");
      small.textContent = data.about + " · just now · ";
      const status = document.createElement("span");
      status.className = "status";
      status.textContent = data.status;
      small.appendChild(status);
      item.appendChild(p);
      item.appendChild(small);
      list.prepend(item);
      const empty = document.getElementById("no-notices");
      if (empty) empty.remove();
    }
    const count = document.getElementById("bell-count");
    if (count) { count.textContent = String(Number(count.textContent || 0) + 1); count.hidden = false; }
    const box = document.getElementById("toasts");
    if (!box) return;
    const toast = document.createElement("div");
    toast.className = "toast level-" + data.level;
    toast.dataset.notice = data.id;
    toast.setAttribute("role", data.level === "safety" ? "alert" : "status");
    const text = document.createElement("p");
    text.textContent = data.text;
    toast.appendChild(text);
    const out = document.createElement("span");
    out.className = "said";
    if (data.suggest) {
      const button = document.createElement("button");
      button.className = "confirm";
      button.textContent = data.suggest.say;
      button.dataset.act = data.id;
      button.addEventListener("click", function () { act(data.id, button, out); });
      toast.appendChild(button);
    }
    const close = document.createElement("button");
    close.textContent = "Dismiss";
    close.addEventListener("click", function () { toast.remove(); });
    toast.appendChild(close);
    toast.insertBefore(out, toast.children[1] || null);
    box.appendChild(toast);
    if (window.Notification && Notification.permission === "granted") {
      try { new Notification("iotlm", {body: data.text, tag: "iotlm-" + data.id}); } catch (err) { /* not allowed here */ }
    }
  }

  function live() {
    if (!document.body || document.body.dataset.live !== "on" || !window.EventSource) return;
    const events = new EventSource("/api/events");
    events.addEventListener("state", function (e) { onState(JSON.parse(e.data), Date.now()); });
    events.addEventListener("notice", function (e) { onNotice(JSON.parse(e.data)); });
    events.addEventListener("open", function () { document.body.dataset.connected = "yes"; });
    events.addEventListener("error", function () { document.body.dataset.connected = "no"; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    live();
    const allow = document.getElementById("allow-browser");
    if (allow && window.Notification && Notification.permission === "default") {
      allow.hidden = false;
      allow.addEventListener("click", function () { Notification.requestPermission().then(function () { allow.hidden = true; }); });
    }
    document.body.addEventListener("htmx:afterRequest", function (e) {
      const form = e.detail.elt;
      if (form && form.id === "ask" && e.detail.successful) {
        form.querySelector("#text").value = "";
        const list = document.getElementById("messages");
        if (list) list.lastElementChild && list.lastElementChild.scrollIntoView({block: "end"});
      }
    });
    document.body.addEventListener("htmx:responseError", function (e) {
      let message = "The request failed (" + e.detail.xhr.status + ").";
      try { message = JSON.parse(e.detail.xhr.responseText).error || message; } catch (err) { /* not JSON */ }
      const box = document.createElement("p");
      box.className = "error";
      box.setAttribute("role", "alert");
      box.textContent = message;
      document.querySelector("main").prepend(box);
    });
  });
})();
