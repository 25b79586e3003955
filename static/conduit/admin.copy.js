/* Copy buttons of the Application Link page: each copies the text of the element it names
   (data-copy) and says so for a moment. External file: the CSP forbids inline script. */
(function () {
  "use strict";
  function copied(button, label) {
    var original = button.textContent;
    button.textContent = label;
    window.setTimeout(function () { button.textContent = original; }, 1500);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var text = source.textContent.trim();
    function select() {
      // No clipboard access (plain http, or refused): select the value so Ctrl+C copies it.
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      copied(button, "Selected: press Ctrl+C");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button, "Copied"); }, select);
      return;
    }
    select();
  });
}());
