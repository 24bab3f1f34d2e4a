// Pages listing jobs still running (site archives) reload every 3 s until none is left.
(function () {
  "use strict";
  if (document.querySelector("[data-refresh]")) {
    window.setTimeout(function () { window.location.reload(); }, 3000);
  }
})();
