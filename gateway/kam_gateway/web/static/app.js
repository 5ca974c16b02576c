// Light progressive enhancement: the quick log shows only the fields of the chosen type.
// Every page works without this script.
(function () {
  "use strict";
  document.querySelectorAll("[data-quick-log]").forEach(function (form) {
    function update() {
      var chosen = form.querySelector("input[name=type]:checked");
      var kind = chosen ? chosen.value : "";
      form.querySelectorAll("[data-for]").forEach(function (field) {
        var shown = field.getAttribute("data-for").split(" ").indexOf(kind) !== -1;
        field.hidden = !shown;
        field.querySelectorAll("input, select").forEach(function (input) { input.disabled = !shown; });
      });
    }
    form.addEventListener("change", update);
    update();
  });
})();
