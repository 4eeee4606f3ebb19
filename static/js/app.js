// Small behaviours the CSP allows (no inline scripts): closing an operation panel.
document.addEventListener("click", function (event) {
  var closer = event.target.closest("[data-close-panel]");
  if (!closer) return;
  var panel = closer.closest(".op-panel-body");
  if (!panel) return;  // without a panel (full page), the link navigates normally
  event.preventDefault();
  panel.innerHTML = "";
});

// Escape closes the operation panel being used (the one holding the focus, else the one open), and gives
// the focus back to the operation button that opened it (issue 11, keyboard use).
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  var panel = document.activeElement && document.activeElement.closest(".op-panel-body");
  if (!panel) {
    var open = Array.prototype.filter.call(document.querySelectorAll(".op-panel-body[id]"),
                                           function (body) { return body.children.length > 0; });
    panel = open.length === 1 ? open[0] : null;
  }
  if (!panel || !panel.id || panel.children.length === 0) return;
  event.preventDefault();
  panel.innerHTML = "";
  var opener = document.querySelector('[hx-target="#' + panel.id + '"]');
  if (opener) opener.focus();
});

// A money form submitted the classic way: disable its button so a double click sends it once
// (the server is idempotent anyway, through the form's idempotency key).
document.addEventListener("submit", function (event) {
  var button = event.target.querySelector("[data-disable-on-submit]");
  if (button) {
    window.setTimeout(function () { button.disabled = true; }, 0);
  }
});

// An htmx request the server could not answer (database down: 503, or any 5xx) swaps nothing:
// say so in the flash area instead of leaving the click without an answer (OPS-8).
document.addEventListener("htmx:responseError", function (event) {
  var status = event.detail.xhr ? event.detail.xhr.status : 0;
  if (status < 500) return;
  var flashes = document.getElementById("flashes");
  if (!flashes) return;
  var message = document.documentElement.lang === "en"
    ? "The service is temporarily unavailable: nothing was saved. Try again in a moment."
    : "Service momentanément indisponible : rien n'a été enregistré. Réessayez dans un instant.";
  flashes.innerHTML = "";
  var box = document.createElement("p");
  box.className = "flash flash-error";
  box.setAttribute("role", "alert");
  box.textContent = message;
  flashes.appendChild(box);
});

// ONB-1: a role preset ticks the shop's boxes at once (without JavaScript the server applies it).
document.addEventListener("change", function (event) {
  var select = event.target.closest("select[data-preset-for]");
  if (!select) return;
  var option = select.options[select.selectedIndex];
  if (!option || !option.dataset.rights) return;
  var wanted = option.dataset.rights.split(" ");
  document.querySelectorAll('input[type=checkbox][name="' + select.dataset.presetFor + '"]').forEach(function (box) {
    box.checked = wanted.indexOf(box.value) !== -1;
  });
});

// Payments (H3, issue 11): the new-payment and instalment forms. Progressive enhancement only:
// the server accepts the card number with or without spaces and the expiry as 1229, 12/29 or 12 / 2029.
// The card number is spaced by 4 as it is typed (the caret stays after the same digit).
document.addEventListener("input", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[name=card_number]")) return;
  var before = input.value.slice(0, input.selectionStart).replace(/\D/g, "").length;
  var digits = input.value.replace(/\D/g, "").slice(0, 19);
  var spaced = digits.replace(/(\d{4})(?=\d)/g, "$1 ");
  if (spaced === input.value) return;
  input.value = spaced;
  var caret = 0, seen = 0;
  while (caret < spaced.length && seen < before) { if (/\d/.test(spaced[caret])) seen++; caret++; }
  input.setSelectionRange(caret, caret);
});

// The expiry is shown MM/AA once the field is left: 1229 or 12 / 2029 become 12/29.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[name=expiry]")) return;
  var raw = input.value.replace(/\s/g, "");
  var match = /^(\d{2})\/?(\d{2}|\d{4})$/.exec(raw);
  if (match) input.value = match[1] + "/" + match[2].slice(-2);
}, true);

// After a refused submit, the focus goes to the first field in error (its message is next to it).
function focusFirstError(root) {
  var field = (root || document).querySelector(
    "form[data-focus-first-error] .has-error input:not([type=hidden]):not([disabled]), " +
    "form[data-focus-first-error] .has-error select, form[data-focus-first-error] [aria-invalid=true]");
  if (field && typeof field.focus === "function") field.focus();
}
document.addEventListener("DOMContentLoaded", function () { focusFirstError(document); });
