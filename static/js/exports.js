// Data package button: POST to start the job, then poll its progress until it is ready.
(function () {
  "use strict";
  var section = document.getElementById("packages");
  if (!section) { return; }
  var listUrl = section.dataset.packagesUrl;
  var button = document.getElementById("package-start");
  var box = document.getElementById("package-progress");
  var meter = document.getElementById("package-meter");
  var bar = document.getElementById("package-bar");
  var statusText = document.getElementById("package-status");
  var download = document.getElementById("package-download");

  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function show(p) {
    box.hidden = false;
    meter.setAttribute("aria-valuenow", p.percent);
    bar.style.width = p.percent + "%";
    if (p.status === "ready") {
      statusText.textContent = "Ready (SHA-256 " + p.sha256.slice(0, 12) + "…)";
      download.href = p.download;
      download.hidden = false;
      button.disabled = false;
    } else if (p.status === "failed") {
      statusText.textContent = "Failed: " + p.error;
      button.disabled = false;
    } else {
      statusText.textContent = (p.status === "queued" ? "Queued" : "Building " + p.current_step) +
        " — " + p.percent + " %";
      window.setTimeout(function () { poll(p.id); }, 1000);
    }
  }

  function poll(id) {
    fetch(listUrl + id + "/", {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); }).then(show)
      .catch(function () { statusText.textContent = "Lost contact; reload the page."; });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    download.hidden = true;
    fetch(listUrl, {method: "POST", credentials: "same-origin",
                    headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"}})
      .then(function (r) { return r.json(); }).then(show)
      .catch(function () { statusText.textContent = "Could not start the package."; button.disabled = false; });
  });
})();
