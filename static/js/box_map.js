// Box map: the "Add to shipment" form posts to the shipment chosen in the list.
// (A static file, not an inline handler: the Content-Security-Policy allows no inline script.)
(function () {
  "use strict";
  var pick = document.getElementById("pick-shipment");
  if (!pick) {
    return;
  }
  function aim() {
    var chosen = pick.options[pick.selectedIndex];
    if (chosen && chosen.dataset.url) {
      pick.form.action = chosen.dataset.url;
    }
  }
  pick.addEventListener("change", aim);
  aim();
})();
