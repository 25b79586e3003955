/* The Jira compatibility check runs in the background: poll its progress and show each
   finished requirement; reload the page (with the stored report) when it is done. The page's
   messages were shown once and the reload would lose them: they are kept for the reloaded page
   (this tab only), but for the one saying the check is running, which the report answers. */
(function () {
  "use strict";
  var box = document.getElementById("check-progress");
  if (!box) { return; }
  var list = document.getElementById("check-progress-items");
  var text = document.getElementById("check-progress-text");
  var url = box.getAttribute("data-progress-url");
  var wasRunning = box.getAttribute("data-state") !== "idle";
  var keptKey = "conduit-check-messages:" + window.location.pathname;

  function messagesKeep() {
    var messages = document.querySelector("ul.messagelist");
    if (!messages) { return; }
    var kept = messages.cloneNode(true);
    kept.querySelectorAll("li.check-running").forEach(function (item) { item.remove(); });
    if (kept.children.length) { window.sessionStorage.setItem(keptKey, kept.outerHTML); }
  }

  function messagesRestore() {
    var kept = window.sessionStorage.getItem(keptKey);
    window.sessionStorage.removeItem(keptKey);
    var content = document.getElementById("content");
    if (!kept || !content || document.querySelector("ul.messagelist")) { return; }
    // Markup this page's server rendered (escaped by Django), kept by this script above.
    content.insertAdjacentHTML("beforebegin", kept);
  }

  messagesRestore();

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
          messagesKeep();
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }

  if (wasRunning) { poll(); }
}());
