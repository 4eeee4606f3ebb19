// Small behaviours the CSP allows (no inline scripts): closing an operation panel.
document.addEventListener("click", function (event) {
  var closer = event.target.closest("[data-close-panel]");
  if (!closer) return;
  var panel = closer.closest(".op-panel-body");
  if (!panel) return;  // without a panel (full page), the link navigates normally
  event.preventDefault();
  panel.innerHTML = "";
});

// A money form submitted the classic way: disable its button so a double click sends it once
// (the server is idempotent anyway, through the form's idempotency key).
document.addEventListener("submit", function (event) {
  var button = event.target.querySelector("[data-disable-on-submit]");
  if (button) {
    window.setTimeout(function () { button.disabled = true; }, 0);
  }
});
