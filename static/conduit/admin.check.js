/* The Jira compatibility check runs in the background: poll its progress and show each
   finished requirement; reload the page (with the stored report) when it is done. */
(function () {
  "use strict";
  var box = document.getElementById("check-progress");
  if (!box) { return; }
  var list = document.getElementById("check-progress-items");
  var text = document.getElementById("check-progress-text");
  var url = box.getAttribute("data-progress-url");
  var wasRunning = box.getAttribute("data-state") !== "idle";

  function show(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var line = document.createElement("li");
      line.className = "check-item check-" + item.status;
      var label = document.createElement("strong");
      label.textContent = "[" + item.status.toUpperCase() + "] " + item.title + ": ";
      line.appendChild(label);
      line.appendChild(document.createTextNode(item.message));
      list.appendChild(line);
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (progress) {
        if (progress.running) {
          wasRunning = true;
          box.hidden = false;
          text.textContent = progress.state === "queued"
            ? "The compatibility check is waiting for a worker…"
            : "The compatibility check is running: " + progress.items.length + " of 5 requirements checked…";
          show(progress.items);
          window.setTimeout(poll, 700);
        } else if (progress.state === "interrupted") {
          box.hidden = false;
          text.textContent = "The compatibility check did not finish (no worker answered). Run it again.";
        } else if (wasRunning) {
          text.textContent = "Done: " + progress.outcome.toUpperCase() + ". Loading the report…";
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }

  if (wasRunning) { poll(); }
}());
