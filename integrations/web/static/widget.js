/* Lead-qualification chat widget (interim version talking to Rasa's REST channel).
 * Everything from the bot or the visitor is rendered with textContent: never as HTML. */
(function () {
  "use strict";
  var config = Object.assign({ serverUrl: "http://localhost:5005", title: "Chat with Ada" }, window.LEADBOT_CONFIG || {});
  var storageKey = "leadbot-conversation-id";
  var conversationId = localStorage.getItem(storageKey);
  if (!conversationId) {
    conversationId = "web-" + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    localStorage.setItem(storageKey, conversationId);
  }
  var firstMessage = true;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var style = el("style");
  style.textContent = [
    ".lb-launcher{position:fixed;right:20px;bottom:20px;border:0;border-radius:28px;padding:14px 20px;background:#1d4ed8;color:#fff;font:600 15px system-ui;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}",
    ".lb-panel{position:fixed;right:20px;bottom:84px;width:360px;max-width:calc(100vw - 24px);height:520px;max-height:calc(100vh - 110px);display:none;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);font:15px system-ui;overflow:hidden}",
    ".lb-panel.lb-open{display:flex}",
    ".lb-head{background:#1d4ed8;color:#fff;padding:12px 16px;font-weight:600}",
    ".lb-log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px}",
    ".lb-msg{max-width:85%;padding:8px 12px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".lb-bot{background:#f3f4f6;color:#111827;align-self:flex-start}",
    ".lb-user{background:#1d4ed8;color:#fff;align-self:flex-end}",
    ".lb-buttons{display:flex;flex-wrap:wrap;gap:6px}",
    ".lb-buttons button{border:1px solid #1d4ed8;background:#fff;color:#1d4ed8;border-radius:16px;padding:6px 12px;cursor:pointer;font:14px system-ui}",
    ".lb-form{display:flex;border-top:1px solid #e5e7eb}",
    ".lb-form input{flex:1;border:0;padding:12px;font:15px system-ui}",
    ".lb-form button{border:0;background:#1d4ed8;color:#fff;padding:0 16px;cursor:pointer}"
  ].join("\n");
  document.head.appendChild(style);

  var launcher = el("button", { "class": "lb-launcher", "aria-controls": "lb-panel", "aria-expanded": "false" }, "Chat with us");
  var panel = el("section", { "class": "lb-panel", id: "lb-panel", role: "dialog", "aria-label": config.title });
  var head = el("div", { "class": "lb-head" }, config.title);
  var log = el("div", { "class": "lb-log", role: "log", "aria-live": "polite" });
  var form = el("form", { "class": "lb-form" });
  var input = el("input", { type: "text", "aria-label": "Your message", placeholder: "Type a message…", maxlength: "1000", autocomplete: "off" });
  var send = el("button", { type: "submit" }, "Send");
  form.appendChild(input); form.appendChild(send);
  panel.appendChild(head); panel.appendChild(log); panel.appendChild(form);
  document.body.appendChild(panel); document.body.appendChild(launcher);

  function addMessage(text, who) {
    log.appendChild(el("div", { "class": "lb-msg lb-" + who }, text));
    log.scrollTop = log.scrollHeight;
  }

  function addButtons(buttons) {
    var row = el("div", { "class": "lb-buttons" });
    buttons.forEach(function (button) {
      var b = el("button", { type: "button" }, button.title);
      b.addEventListener("click", function () { row.remove(); post(button.payload, button.title); });
      row.appendChild(b);
    });
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function metadata() {
    if (!firstMessage) return {};
    var params = new URLSearchParams(location.search);
    var data = { page_url: location.href, referrer: document.referrer };
    ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (key) {
      if (params.get(key)) data[key] = params.get(key);
    });
    return data;
  }

  function post(message, shown) {
    Array.prototype.forEach.call(log.querySelectorAll(".lb-buttons"), function (row) { row.remove(); });
    if (shown) addMessage(shown, "user");
    var body = { sender: conversationId, message: message, metadata: metadata() };
    firstMessage = false;
    fetch(config.serverUrl + "/webhooks/rest/webhook", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (response) { return response.json(); }).then(function (replies) {
      if (!replies.length) addMessage("Sorry, I'm having trouble right now. Please try again in a moment.", "bot");
      replies.forEach(function (reply) {
        if (reply.text) addMessage(reply.text, "bot");
        if (reply.buttons && reply.buttons.length) addButtons(reply.buttons);
      });
    }).catch(function () {
      addMessage("I can't reach the server right now. Please try again in a moment.", "bot");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    post(text, text);
  });

  var greeted = false;
  function open() {
    panel.classList.add("lb-open");
    launcher.setAttribute("aria-expanded", "true");
    input.focus();
    if (!greeted) { greeted = true; post("/greet"); }
  }
  launcher.addEventListener("click", function () {
    if (panel.classList.contains("lb-open")) {
      panel.classList.remove("lb-open");
      launcher.setAttribute("aria-expanded", "false");
    } else { open(); }
  });
  window.LeadbotWidget = { open: open };
})();
