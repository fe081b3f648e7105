// 长者模式 and 高对比度: toggles a class on <html> and remembers it in
// localStorage. Without JavaScript the site reads normally; the buttons then
// do nothing.
(function () {
  "use strict";
  var root = document.documentElement;
  var modes = ["large", "contrast"];
  function stored(mode) {
    try { return localStorage.getItem("zhiku-mode-" + mode) === "1"; } catch (e) { return false; }
  }
  function apply(mode, on) {
    root.classList.toggle("mode-" + mode, on);
    document.querySelectorAll('.mode-toggle[data-mode="' + mode + '"]').forEach(function (b) {
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  modes.forEach(function (m) { if (stored(m)) { root.classList.add("mode-" + m); } });
  document.addEventListener("DOMContentLoaded", function () {
    modes.forEach(function (m) { apply(m, stored(m)); });
    document.querySelectorAll(".mode-toggle").forEach(function (button) {
      button.addEventListener("click", function () {
        var mode = button.getAttribute("data-mode");
        var on = !root.classList.contains("mode-" + mode);
        try { localStorage.setItem("zhiku-mode-" + mode, on ? "1" : "0"); } catch (e) { /* private mode */ }
        apply(mode, on);
      });
    });
  });
})();
