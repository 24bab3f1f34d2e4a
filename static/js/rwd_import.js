// Import job page: poll the job's status and move the progress bar; reload when it ends.
(function () {
  "use strict";
  var section = document.getElementById("import-progress");
  if (!section || section.dataset.finished === "1") { return; }
  var url = section.dataset.statusUrl;
  var meter = document.getElementById("import-meter");
  var bar = document.getElementById("import-bar");
  var statusText = document.getElementById("import-status");
  var stage = document.getElementById("import-stage");

  function show(s) {
    meter.setAttribute("aria-valuenow", s.percent);
    bar.style.width = s.percent + "%";
    statusText.textContent = s.status_label;
    stage.textContent = s.percent + " %" + (s.stage ? " — " + s.stage : "");
    if (s.finished) {
      window.location.reload();
    } else {
      window.setTimeout(poll, 1000);
    }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); }).then(show)
      .catch(function () { stage.textContent = "Lost contact; reload the page."; });
  }

  window.setTimeout(poll, 500);
})();
