// Counts down the equal pitch time of the current item from the moment it was started.
(function () {
  "use strict";
  var timer = document.getElementById("timer");
  if (!timer) { return; }
  var total = parseInt(timer.dataset.seconds, 10);
  var started = parseInt(timer.dataset.started, 10);
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function draw() {
    var left = isNaN(started) ? total : total - Math.floor(Date.now() / 1000 - started);
    var sign = left < 0 ? "−" : "";
    var abs = Math.abs(left);
    timer.textContent = sign + Math.floor(abs / 60) + ":" + pad(abs % 60);
    timer.dataset.over = left < 0 ? "true" : "false";
  }
  draw();
  if (!isNaN(started)) { window.setInterval(draw, 1000); }
})();
