/* The rep console: live conversations, one transcript as it grows, take over / hand back / send, claim a hot lead.
 * Everything a visitor or a rep typed is shown with textContent, never as HTML. */
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var me = document.querySelector('meta[name="rep-username"]').content;
  var LIST_MS = 1500, CHAT_MS = 250;
  var selected = null, shownLines = 0, current = null, knownWaiting = {}, baseTitle = document.title;

  function $(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: {} };
    if (method !== "GET") { options.headers["X-CSRF-Token"] = csrf; }
    if (body !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    return fetch(path, options).then(function (response) {
      if (response.status === 401) { location.href = "/console/login"; throw new Error("signed out"); }
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }
  function path(id, action) {
    return "/console/api/conversations/" + encodeURIComponent(id) + (action ? "/" + action : "");
  }
  function showError(text) { $("error").textContent = text || ""; }

  function beep() {  // a short tone when a visitor starts waiting for a rep (browsers allow it after a click)
    try {
      var context = new (window.AudioContext || window.webkitAudioContext)();
      var tone = context.createOscillator();
      tone.frequency.value = 880; tone.connect(context.destination); tone.start(); tone.stop(context.currentTime + 0.15);
    } catch (e) { /* no sound available */ }
  }

  function renderList(rows) {
    var list = $("conversations");
    list.textContent = "";
    $("empty").hidden = rows.length > 0;
    var waiting = 0, fresh = false, nowWaiting = {};
    rows.forEach(function (row) {
      if (row.human_requested && !row.holder) {
        waiting += 1; nowWaiting[row.id] = true;
        if (!knownWaiting[row.id]) fresh = true;
      }
      var item = el("li"), button = el("button");
      button.type = "button";
      button.dataset.id = row.id;
      if (row.id === selected) button.setAttribute("aria-current", "true");
      var tags = el("div");
      if (row.temperature) tags.appendChild(el("span", "tag" + (row.temperature === "hot" ? " hot" : ""), row.temperature));
      if (row.stage) tags.appendChild(el("span", "tag", row.stage + (row.score !== null && row.score !== undefined ? " " + row.score : "")));
      if (row.human_requested) tags.appendChild(el("span", "tag human", "asked for a human"));
      if (row.holder) tags.appendChild(el("span", "tag held", row.holder.rep === me ? "yours" : "with " + row.holder.name));
      button.appendChild(tags);
      button.appendChild(el("div", "small muted", row.page_url || "(page unknown)"));
      button.appendChild(el("div", "small", row.last_line));
      button.addEventListener("click", function () { select(row.id); });
      item.appendChild(button);
      list.appendChild(item);
    });
    knownWaiting = nowWaiting;
    document.title = (waiting ? "(" + waiting + ") " : "") + baseTitle;
    if (fresh) beep();
  }

  function renderFacts(data) {
    var facts = $("facts"), list = el("dl");
    facts.textContent = "";
    function fact(label, value) {
      if (value === null || value === undefined || value === "") return;
      list.appendChild(el("dt", "", label));
      list.appendChild(el("dd", "", typeof value === "object" ? JSON.stringify(value) : value));
    }
    fact("Conversation", data.id);
    fact("Stage", data.stage); fact("Score", data.score); fact("Temperature", data.temperature);
    fact("Source page", data.page_url); fact("Open form", data.form);
    Object.keys(data.answers || {}).forEach(function (key) { fact(key.replace(/_/g, " "), data.answers[key]); });
    facts.appendChild(list);
    var owner = $("owner");
    owner.textContent = data.holder
      ? (data.holder.rep === me ? "You have this conversation: the bot is silent." : data.holder.name + " has this conversation.")
      : "The bot is answering.";
    var mine = data.holder && data.holder.rep === me;
    $("take").disabled = !!data.holder;
    $("release").disabled = !mine;
    $("text").disabled = !mine;
    $("send").querySelector("button").disabled = !mine;
    var lead = data.lead, claim = $("claim");
    $("lead").textContent = !lead ? ""
      : lead.claimable ? "Hot lead " + lead.id + " is waiting to be claimed" + (lead.assigned_rep ? " (routed to " + lead.assigned_rep + ")." : ".")
      : lead.claimed ? "Lead " + lead.id + " is claimed by " + (lead.assigned_rep || "a rep") + "."
      : "Lead " + lead.id + (lead.assigned_rep ? " is with " + lead.assigned_rep + "." : " is in the queue.");
    claim.hidden = !(lead && lead.claimable);
    claim.disabled = claim.hidden;
  }

  function addLines(lines) {
    var list = $("transcript"), atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 20;
    lines.forEach(function (line) {
      var item = el("li", line.speaker);
      var who = line.speaker === "rep" ? line.rep : line.speaker === "bot" ? "Bot" : "Visitor";
      item.appendChild(el("span", "who", who));
      item.appendChild(document.createTextNode(line.text || (line.buttons.length ? "" : "(no text)")));
      if (line.buttons && line.buttons.length) item.appendChild(el("span", "who", "[" + line.buttons.join(" | ") + "]"));
      item.dataset.speaker = line.speaker;
      list.appendChild(item);
    });
    if (atBottom || lines.length) list.scrollTop = list.scrollHeight;
  }

  function refreshChat() {
    if (!selected) return Promise.resolve();
    var id = selected;
    return api("GET", path(id) + "?after=" + shownLines).then(function (answer) {
      if (id !== selected || answer.status !== 200) return;
      current = answer.data;
      renderFacts(answer.data);
      addLines(answer.data.lines);
      shownLines = answer.data.total;
    });
  }

  function select(id) {
    selected = id; shownLines = 0; current = null;
    $("transcript").textContent = "";
    $("chat").hidden = false;
    showError("");
    Array.prototype.forEach.call(document.querySelectorAll("#conversations button"), function (button) {
      button.setAttribute("aria-current", button.dataset.id === id ? "true" : "false");
    });
    refreshChat();
  }

  function act(action, body) {
    if (!selected) return;
    showError("");
    api("POST", path(selected, action), body).then(function (answer) {
      if (answer.status !== 200) showError(answer.data.error || "That did not work.");
      return refreshChat();
    }).catch(function (error) { showError(String(error)); });
  }

  $("take").addEventListener("click", function () { act("take"); });
  $("release").addEventListener("click", function () { act("release"); });
  $("claim").addEventListener("click", function () { act("claim"); });
  $("send").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("text"), text = input.value;
    if (!text.trim()) return;
    input.value = "";
    act("messages", { text: text });
  });
  $("logout").addEventListener("submit", function (event) {
    event.preventDefault();
    api("POST", "/console/logout").catch(function () {}).then(function () { location.href = "/console/login"; });
  });

  function loop(work, every) {
    function again() { setTimeout(run, every); }
    function run() { work().then(again, again); }
    run();
  }
  var wanted = new URLSearchParams(location.search).get("conversation");  // from a "Join the chat" link
  if (wanted) select(wanted);
  loop(function () {
    return api("GET", "/console/api/conversations").then(function (answer) {
      if (answer.status === 200) renderList(answer.data.conversations);
    });
  }, LIST_MS);
  loop(refreshChat, CHAT_MS);
})();
