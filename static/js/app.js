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
