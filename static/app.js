/* Small improvements on top of pages that work without JavaScript. */
(function () {
  "use strict";

  // Upload snippets: a Copy button next to each read-only Markdown line.
  function addCopyButtons() {
    document.querySelectorAll("input[data-copy]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
      if (!navigator.clipboard) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary copy-button";
      button.textContent = "Copy";
      var status = document.createElement("span");
      status.setAttribute("role", "status");
      status.className = "muted";
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(function () {
          status.textContent = " Copied.";
        }, function () {
          input.select();
          status.textContent = " Press Ctrl+C (or ⌘C) to copy.";
        });
      });
      input.insertAdjacentElement("afterend", status);
      input.insertAdjacentElement("afterend", button);
    });
  }

  // The post editor: ask before leaving with changes that were not saved.
  function guardUnsavedPost() {
    var form = document.querySelector("form.post-form");
    if (!form) { return; }
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
  }

  function start() {
    addCopyButtons();
    guardUnsavedPost();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
