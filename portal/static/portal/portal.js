// EventHub portal: optional conveniences only. Every write works without this file (plain POST forms).
(function () {
  "use strict";
  // Type search on the endpoint form: hide checkboxes whose name/description does not match.
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var items = document.querySelectorAll(input.getAttribute("data-filter"));
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      items.forEach(function (li) {
        li.classList.toggle("pt-hidden", q !== "" && li.getAttribute("data-search").toLowerCase().indexOf(q) === -1);
      });
    });
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); } });
  });
  // Confirmation for forms marked data-confirm (rotate secret).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  // Live refresh of the message log: reload every N seconds while the box is ticked (remembered per tab).
  var live = document.getElementById("pt-live");
  if (live) {
    var key = "pt-live";
    live.checked = window.sessionStorage.getItem(key) === "1";
    var timer = null;
    var arm = function () {
      if (timer) { window.clearTimeout(timer); timer = null; }
      if (live.checked) {
        timer = window.setTimeout(function () { window.location.reload(); }, 1000 * Number(live.getAttribute("data-refresh") || 10));
      }
    };
    live.addEventListener("change", function () { window.sessionStorage.setItem(key, live.checked ? "1" : "0"); arm(); });
    arm();
  }
})();
