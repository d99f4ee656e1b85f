// The main menu folds behind a "Meny" button on a narrow screen or at high zoom (see site.css).
// The "js" class tells the stylesheet that the button works; without script the menu stays open.
(function () {
  "use strict";
  var button = document.querySelector(".site-menu__toggle");
  if (!button) { return; }
  document.documentElement.classList.add("js");
  button.addEventListener("click", function () {
    button.setAttribute("aria-expanded", button.getAttribute("aria-expanded") === "true" ? "false" : "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();
