// Live eligibility: after each change, post the form (not saved) and show the criteria again.
(function () {
  "use strict";
  var form = document.getElementById("screening-form");
  var panel = document.getElementById("criteria");
  if (!form || !panel) { return; }
  var url = form.getAttribute("data-evaluate-url");
  var timer = null;
  var sequence = 0;

  function evaluate() {
    var mine = ++sequence;
    var body = new FormData(form);
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    fetch(url, { method: "POST", body: body, headers: { "X-CSRFToken": token },
                 credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && mine === sequence) {  // ignore answers that arrive out of order
          panel.innerHTML = html;
          panel.setAttribute("data-evaluated", String(mine));
        }
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(evaluate, 250);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
