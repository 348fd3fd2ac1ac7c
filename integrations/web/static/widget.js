/* Lead-qualification chat widget. One <script src=".../widget.js" async></script> adds it to a page;
 * options in window.LEADBOT_CONFIG (docs/widget.md). Talks to Rasa's socketio channel with the
 * standard events (session_request/session_confirm, user_uttered/bot_uttered).
 * Text from the visitor and the bot is only ever shown with textContent and text nodes, never as HTML. */
(function () {
  "use strict";
  if (window.LeadbotWidget) return;

  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/[?#].*$/, "").replace(/[^/]*$/, "") : location.origin + "/";
  var user = window.LEADBOT_CONFIG || {};
  var config = Object.assign({
    serverUrl: new URL(base, location.href).origin,  // Rasa, or a proxy in front of it
    socketPath: "/socket.io/",
    socketIoUrl: base + "vendor/socket.io.min.js",
    title: "Chat with Ada",
    subtitle: "Acme Analytics · usually replies in seconds",
    botName: "Ada",
    launcherText: "Chat with us",
    placeholder: "Type your message…",
    greetingDelay: 8000,  // ms before a proactive greeting; 0 turns it off
    position: "right",  // or "left"
    opener: "/greet",
    openers: { "/pricing": "/ask_pricing" },  // path prefix -> first message on that page
    fallbackText: "Sorry, I couldn't answer that just now. Please try again, or write to us by email."
  }, user);
  var colors = Object.assign({
    primary: "#1d4ed8", onPrimary: "#ffffff", background: "#ffffff", text: "#111827", botBubble: "#f1f5f9"
  }, user.colours, user.colors);

  var KEY = "leadbot:";
  var MAX_ENTRIES = 150;
  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;
  var SOURCE_KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var HONEYPOT = "website";  // a hidden field only bots fill; the channel answers them without Rasa (guards.py)

  /* ---- storage: the conversation lives in localStorage, so reloads and other pages share it ---- */
  var state = { session: null, entries: [], turn: "start", sourceSent: false, opened: false };
  function read(store, key) {
    try { return JSON.parse(window[store].getItem(KEY + key)); } catch (e) { return null; }
  }
  function write(store, key, value) {
    try { window[store].setItem(KEY + key, JSON.stringify(value)); } catch (e) { /* storage blocked */ }
  }
  function load() {
    var stored = read("localStorage", "conversation");
    if (stored && Array.isArray(stored.entries)) state = stored;
    return state;
  }
  function save() {
    state.entries = state.entries.slice(-MAX_ENTRIES);
    write("localStorage", "conversation", state);
  }
  function newId() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function hash(text) {
    for (var h = 5381, i = 0; i < text.length; i++) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
    return h.toString(36);
  }

  /* ---- DOM, inside a shadow root so the host page's CSS can't touch it ---- */
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  var css = [
    ":host{all:initial}",
    "*{box-sizing:border-box}[hidden]{display:none!important}",
    ".root{position:fixed;bottom:20px;" + (config.position === "left" ? "left" : "right") + ":20px;z-index:2147483000;display:flex;flex-direction:column;align-items:" + (config.position === "left" ? "flex-start" : "flex-end") + ";gap:12px;pointer-events:none;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--text)}",
    ".root>*{pointer-events:auto}button,input{font:inherit}",
    ":focus-visible{outline:3px solid var(--text);outline-offset:2px}",
    ".launcher{border:0;border-radius:28px;padding:14px 22px;background:var(--primary);color:var(--on-primary);font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".badge{display:inline-block;min-width:1.4em;margin-left:8px;padding:0 5px;border-radius:10px;background:var(--on-primary);color:var(--primary);font-size:13px;text-align:center}",
    ".teaser{display:flex;max-width:300px;background:var(--bg);border-radius:12px;box-shadow:0 4px 18px rgba(0,0,0,.2)}",
    ".teaser button{border:0;background:none;color:var(--text);cursor:pointer;text-align:left;padding:12px}",
    ".teaser .dismiss{padding:8px 12px;font-size:20px;line-height:1}",
    ".panel{width:min(380px,calc(100vw - 24px));height:min(580px,calc(100vh - 110px));display:flex;flex-direction:column;background:var(--bg);border-radius:14px;box-shadow:0 10px 34px rgba(0,0,0,.28);overflow:hidden}",
    ".head{display:flex;align-items:center;gap:8px;background:var(--primary);color:var(--on-primary);padding:12px 12px 12px 16px}",
    ".head div{flex:1}.head h2{margin:0;font-size:16px}.head p{margin:0;font-size:13px}",
    ".head :focus-visible{outline-color:var(--on-primary)}",
    ".close{border:0;background:none;color:inherit;font-size:26px;line-height:1;padding:4px 10px;cursor:pointer;border-radius:6px}",
    ".scroll{flex:1;overflow-y:auto;padding:14px 12px}",
    ".log{display:flex;flex-direction:column;gap:8px}",
    ".msg{max-width:85%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".bot{align-self:flex-start;background:var(--bot-bubble);color:var(--text);border-bottom-left-radius:4px}",
    ".bot a{color:var(--primary);font-weight:600}",
    ".rep .who{display:block;font-size:12px;font-weight:600;color:var(--primary);margin-bottom:2px}",
    ".user{align-self:flex-end;background:var(--primary);color:var(--on-primary);border-bottom-right-radius:4px}",
    ".replies{display:flex;flex-wrap:wrap;gap:6px;margin-top:10px}",
    ".replies button{border:1.5px solid var(--primary);background:var(--bg);color:var(--primary);border-radius:16px;padding:6px 12px;cursor:pointer}",
    ".replies button:hover{background:var(--primary);color:var(--on-primary)}",
    ".typing{display:inline-flex;gap:4px;margin-top:10px;padding:12px;border-radius:14px;background:var(--bot-bubble)}",
    ".typing i{width:7px;height:7px;border-radius:50%;background:var(--text);opacity:.6;animation:lb-blink 1.2s infinite}",
    ".typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}",
    "@keyframes lb-blink{50%{opacity:.15}}",
    "@media (prefers-reduced-motion:reduce){.typing i{animation:none}}",
    ".status{margin:0;padding:0 12px;font-size:13px}.status:empty{display:none}",
    ".form{display:flex;gap:8px;padding:10px;border-top:1px solid #d1d5db}",
    ".form input{flex:1;min-width:0;border:1.5px solid #6b7280;border-radius:10px;padding:9px 12px;background:var(--bg);color:var(--text)}",
    ".form input::placeholder{color:#5b6472}",
    ".form input:focus-visible{outline:2px solid var(--primary);outline-offset:1px;border-color:var(--primary)}",
    ".form button{border:0;border-radius:10px;background:var(--primary);color:var(--on-primary);padding:0 16px;font-weight:600;cursor:pointer}",
    "@media (max-width:480px){.root{left:8px;right:8px;bottom:12px}.panel{width:100%;height:calc(100vh - 84px);height:calc(100dvh - 84px)}}",
    // phones: the open chat is the whole screen, sized to the visual viewport (above the on-screen keyboard)
    ".full .panel{position:fixed;left:0;right:0;top:var(--lb-top,0px);width:100%;height:100vh;height:100dvh;height:var(--lb-vh,100dvh);border-radius:0;box-shadow:none}",
    ".full .launcher,.full .teaser{display:none}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".hp{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}"
  ].join("\n");

  var host, root, launcher, badge, teaser, teaserText, panel, scroller, log, replies, typing, statusLine, form, input, trap;
  function build() {
    host = el("div", { id: "leadbot-widget" });
    var shadow = host.attachShadow({ mode: "open" });
    var style = el("style", {}, css);
    root = el("div", { "class": "root" });
    root.style.cssText = "--primary:" + colors.primary + ";--on-primary:" + colors.onPrimary + ";--bg:" +
      colors.background + ";--text:" + colors.text + ";--bot-bubble:" + colors.botBubble;

    panel = el("section", { "class": "panel", id: "lb-panel", role: "dialog", "aria-labelledby": "lb-title", hidden: "" });
    var head = el("div", { "class": "head" });
    var heading = el("div");
    heading.appendChild(el("h2", { id: "lb-title" }, config.title));
    heading.appendChild(el("p", {}, config.subtitle));
    var close = el("button", { type: "button", "class": "close", "aria-label": "Close chat" }, "×");
    head.appendChild(heading); head.appendChild(close);
    scroller = el("div", { "class": "scroll", role: "region", tabindex: "0", "aria-label": "Conversation" });
    log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-label": "Messages" });
    replies = el("div", { "class": "replies", role: "group", "aria-label": "Quick replies" });
    typing = el("div", { "class": "typing", hidden: "" });
    typing.appendChild(el("i")); typing.appendChild(el("i")); typing.appendChild(el("i"));
    typing.appendChild(el("span", { "class": "sr" }, config.botName + " is typing"));
    scroller.appendChild(log); scroller.appendChild(replies); scroller.appendChild(typing);
    statusLine = el("p", { "class": "status", role: "status" });
    form = el("form", { "class": "form" });
    input = el("input", { type: "text", "aria-label": "Your message", placeholder: config.placeholder, maxlength: "1000", autocomplete: "off" });
    // Honeypot: off-screen, hidden from screen readers and out of the Tab order, so people never see,
    // hear or reach it; bots that fill every field do, and their messages never reach the bot.
    var trapBox = el("div", { "class": "hp", "aria-hidden": "true" });
    var trapLabel = el("label", {}, "Website");
    trap = el("input", { type: "text", name: HONEYPOT, tabindex: "-1", autocomplete: "off", "aria-hidden": "true" });
    trapLabel.appendChild(trap); trapBox.appendChild(trapLabel);
    form.appendChild(input); form.appendChild(el("button", { type: "submit" }, "Send")); form.appendChild(trapBox);
    panel.appendChild(head); panel.appendChild(scroller); panel.appendChild(statusLine); panel.appendChild(form);

    teaser = el("div", { "class": "teaser", hidden: "" });
    teaserText = el("button", { type: "button", "class": "open" });
    var dismiss = el("button", { type: "button", "class": "dismiss", "aria-label": "Dismiss message" }, "×");
    teaser.appendChild(teaserText); teaser.appendChild(dismiss);

    launcher = el("button", { type: "button", "class": "launcher", "aria-controls": "lb-panel", "aria-expanded": "false" }, config.launcherText);
    badge = el("span", { "class": "badge", hidden: "" });
    launcher.appendChild(badge);

    root.appendChild(panel); root.appendChild(teaser); root.appendChild(launcher);
    shadow.appendChild(style); shadow.appendChild(root);
    document.body.appendChild(host);

    launcher.addEventListener("click", function () { if (panel.hidden) open(); else close_(); });
    close.addEventListener("click", function () { close_(); });
    teaserText.addEventListener("click", function () { open(); });
    dismiss.addEventListener("click", function () { hideTeaser(); write("sessionStorage", "dismissed", true); launcher.focus(); });
    root.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      if (!panel.hidden) { event.preventDefault(); close_(); } else if (!teaser.hidden) { hideTeaser(); launcher.focus(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      say(text, text);
    });
  }

  /* ---- rendering ---- */
  function addLinkedText(node, text) {  // URLs become links; everything else stays plain text
    var last = 0;
    text.replace(URL_PATTERN, function (match, offset) {
      var url = match.replace(/[.,;:!?)\]]+$/, "");
      node.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url);
      node.appendChild(link);
      last = offset + url.length;
      return match;
    });
    node.appendChild(document.createTextNode(text.slice(last)));
  }
  function messageNode(entry) {
    var node = el("div", { "class": "msg " + entry.from });
    if (entry.rep) {
      node.className += " rep";
      node.appendChild(el("span", { "class": "who" }, entry.rep));
      node.appendChild(el("span", { "class": "sr" }, ": "));
    } else {
      node.appendChild(el("span", { "class": "sr" }, (entry.from === "bot" ? config.botName : "You") + ": "));
    }
    if (entry.from === "bot") addLinkedText(node, entry.text); else node.appendChild(document.createTextNode(entry.text));
    return node;
  }
  var shown = {};
  function render() {
    load();
    state.entries.forEach(function (entry) {
      if (shown[entry.id]) return;
      shown[entry.id] = true;
      if (entry.text) log.appendChild(messageNode(entry));
    });
    var last = state.entries[state.entries.length - 1];
    replies.textContent = "";
    (last && last.from === "bot" && last.buttons || []).forEach(function (button) {
      var node = el("button", { type: "button" }, button.title);
      node.addEventListener("click", function () { say(button.payload, button.title); input.focus(); });
      replies.appendChild(node);
    });
    typing.hidden = !Object.keys(inflight).length;
    scroller.scrollTop = scroller.scrollHeight;
  }
  function showTeaser(text) {
    if (!teaser.hidden || read("sessionStorage", "dismissed")) return;
    teaserText.textContent = "";
    teaserText.appendChild(el("strong", {}, config.botName + ": "));
    teaserText.appendChild(document.createTextNode(text.length > 140 ? text.slice(0, 139) + "…" : text));
    teaser.hidden = false;
  }
  function hideTeaser() { teaser.hidden = true; }
  var unread = 0;
  function setUnread(count) {
    unread = count;
    badge.textContent = count ? String(count) : "";
    badge.hidden = !count;
    launcher.setAttribute("aria-label", config.launcherText + (count ? " (" + count + " new)" : ""));
  }

  /* ---- socket.io connection ---- */
  var socket = null, confirmed = false, queue = [], inflight = {}, turn = null, seen = {};
  function loadSocketIo(done) {
    var previous = window.io, tag = el("script", { src: config.socketIoUrl, async: "" });
    tag.onload = function () {
      var lib = window.io;
      window.io = previous;  // leave the host page's own `io`, if any, alone
      done(lib);
    };
    tag.onerror = function () { statusLine.textContent = "The chat could not be loaded. Please try again later."; };
    document.head.appendChild(tag);
  }
  function connect() {
    if (socket) return;
    socket = true;
    load();
    if (!state.session) { state.session = newId(); save(); }
    loadSocketIo(function (io) {
      socket = io(config.serverUrl, { path: config.socketPath, transports: ["websocket", "polling"], tryAllTransports: true });
      socket.on("connect", function () { socket.emit("session_request", { session_id: state.session }); });
      socket.on("session_confirm", function () { confirmed = true; statusLine.textContent = ""; flush(); });
      socket.on("bot_uttered", receive);
      socket.on("disconnect", function () {
        confirmed = false;
        var pending = Object.keys(inflight).map(function (id) { return inflight[id]; });
        inflight = {};
        queue = pending.concat(queue);  // sent again after reconnecting; the channel answers a repeat once
        statusLine.textContent = "Connection lost. Reconnecting…";
        render();
      });
      socket.on("connect_error", function () { statusLine.textContent = "Can't reach the chat right now. Retrying…"; });
    });
  }
  function flush() {
    if (!confirmed) return connect();
    while (queue.length) send(queue.shift());
    render();
  }
  function honeypot() {  // once filled, every later message of the conversation carries it (all tabs, pages)
    load();
    if (trap && trap.value && !state.trap) { state.trap = trap.value.slice(0, 200); save(); }
    return state.trap || "";
  }
  function send(item) {
    inflight[item.id] = item;
    var metadata = Object.assign({}, item.metadata);
    var filled = honeypot();
    if (filled) metadata[HONEYPOT] = filled;
    var data = { message: item.message, session_id: state.session, message_id: item.id, metadata: metadata };
    socket.emit("user_uttered", data, function (ack) {  // acknowledged once Rasa has handled the message
      if (inflight[item.id] !== item) return;
      delete inflight[item.id];
      var held = ack && ack.held;  // a rep has the conversation: the rep answers, the bot stays silent
      if (item.visible && !item.answered && !held) addEntry({ id: "b:" + item.id + ":none", from: "bot", text: config.fallbackText });
      render();
    });
  }
  function sourceMetadata() {
    var params = new URLSearchParams(location.search), data = { page_url: location.href, referrer: document.referrer };
    try { data.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { /* no Intl: the default zone */ }
    SOURCE_KEYS.forEach(function (key) { if (params.get(key)) data[key] = params.get(key); });
    Object.keys(data).forEach(function (key) { if (data[key]) data[key] = data[key].slice(0, 2000); else delete data[key]; });
    return data;
  }
  function say(message, visibleText) {  // queue a message for Rasa; visibleText is shown as the visitor's bubble
    var id = newId();
    load();
    if (visibleText) state.entries.push({ id: "u:" + id, from: "user", text: visibleText });
    state.turn = id;
    var metadata = state.sourceSent ? null : sourceMetadata();
    state.sourceSent = true;
    state.opened = true;
    save();
    queue.push({ id: id, message: message, metadata: metadata, visible: !!visibleText });
    render();
    flush();
  }
  function addEntry(entry) {
    load();
    if (state.entries.some(function (known) { return known.id === entry.id; })) return false;
    state.entries.push(entry);
    save();
    return true;
  }
  function receive(data) {
    if (!data || typeof data !== "object") return;
    var text = typeof data.text === "string" ? data.text : "";
    var buttons = (Array.isArray(data.quick_replies) ? data.quick_replies : Array.isArray(data.buttons) ? data.buttons : [])
      .filter(function (b) { return b && b.title; })
      .map(function (b) { return { title: String(b.title), payload: String(b.payload || b.title) }; });
    if (!text && !buttons.length) return;
    if (typeof data.rep === "string" && data.rep && typeof data.rep_message_id === "string") {
      // a sales rep who took the conversation over in the rep console (docs/console.md)
      var repEntry = { id: "r:" + data.rep_message_id, from: "bot", rep: data.rep.slice(0, 100), text: text };
      if (addEntry(repEntry) && panel.hidden && text) { showTeaser(text); setUnread(unread + 1); }
      render();
      return;
    }
    // One reply can reach several tabs of a conversation, or come again after a reconnect: give it an id
    // every tab computes alike (the channel numbers replies; for other servers, count them per turn).
    var id;
    if (typeof data.reply_to === "string" && typeof data.index === "number") {
      id = data.reply_to + ":" + data.index;
      if (inflight[data.reply_to]) inflight[data.reply_to].answered = true;
    } else {
      Object.keys(inflight).forEach(function (key) { inflight[key].answered = true; });
      load();
      if (state.turn !== turn) { turn = state.turn; seen = {}; }
      var key = hash(text + "\n" + buttons.map(function (b) { return b.title; }).join("\n"));
      seen[key] = (seen[key] || 0) + 1;
      id = turn + ":" + key + ":" + seen[key];
    }
    var entry = { id: "b:" + id, from: "bot", text: text };
    if (buttons.length) entry.buttons = buttons;
    if (addEntry(entry) && panel.hidden && text) { showTeaser(text); setUnread(unread + 1); }
    render();
  }

  /* ---- opening, closing, greeting ---- */
  function greet() {  // the page-aware first message, once per conversation
    load();
    if (state.opened || state.entries.length) return;
    var message = config.opener;
    Object.keys(config.openers || {}).forEach(function (prefix) {
      if (location.pathname.indexOf(prefix) === 0) message = config.openers[prefix];
    });
    say(message, null);
  }
  function open(moveFocus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    hideTeaser();
    setUnread(0);
    write("sessionStorage", "open", true);
    fitScreen();
    connect();
    greet();
    render();
    if (moveFocus !== false) input.focus();
  }
  /* ---- phones (<= 480 px): the open chat fills the screen; the page behind neither shows nor scrolls ---- */
  var PHONE = window.matchMedia ? window.matchMedia("(max-width:480px)") : { matches: false };
  var locked = null;
  function fitScreen() {
    var full = !panel.hidden && PHONE.matches;
    root.classList.toggle("full", full);
    var page = [document.documentElement, document.body];
    if (full && !locked) {  // scroll lock: the page keeps its place and does not move under the chat
      locked = page.map(function (node) { return node.style.overflow; });
      page.forEach(function (node) { node.style.overflow = "hidden"; });
    } else if (!full && locked) {
      page.forEach(function (node, i) { node.style.overflow = locked[i]; });
      locked = null;
    }
    if (!full) return;
    var view = window.visualViewport;  // shrinks when the on-screen keyboard opens; 100dvh does not
    root.style.setProperty("--lb-vh", (view ? view.height : window.innerHeight) + "px");
    root.style.setProperty("--lb-top", (view ? view.offsetTop : 0) + "px");
    scroller.scrollTop = scroller.scrollHeight;
  }
  function close_() {
    panel.hidden = true;
    fitScreen();
    launcher.setAttribute("aria-expanded", "false");
    write("sessionStorage", "open", false);
    launcher.focus();
  }

  function init() {
    build();
    load();
    render();
    window.addEventListener("storage", function (event) { if (event.key === KEY + "conversation") render(); });
    window.addEventListener("resize", fitScreen);
    if (window.visualViewport) {
      window.visualViewport.addEventListener("resize", fitScreen);
      window.visualViewport.addEventListener("scroll", fitScreen);
    }
    if (read("sessionStorage", "open")) open(false);
    else if (state.entries.length) connect();
    if (config.greetingDelay > 0 && !state.entries.length) {
      setTimeout(function () { if (panel.hidden && !read("sessionStorage", "dismissed")) { connect(); greet(); } }, config.greetingDelay);
    }
  }
  window.LeadbotWidget = { open: function () { open(); }, close: function () { close_(); } };
  if (document.body) init(); else document.addEventListener("DOMContentLoaded", init);
})();
