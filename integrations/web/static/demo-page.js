/* The demo pages' own script (a file, not inline, so the Content-Security-Policy needs no 'unsafe-inline'):
   the proactive greeting's delay, and the "Talk to us" buttons that open the chat. */
window.LEADBOT_CONFIG = Object.assign(window.LEADBOT_CONFIG || {}, { greetingDelay: 4000 });
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-open-chat]");
  if (!button || !window.LeadbotWidget) return;
  event.preventDefault();
  window.LeadbotWidget.open();
});
