// The moderation queue, improved: keyboard shortcuts and "select all".
// Every action is a plain form that works without this file; the keys only
// press those forms' buttons. Changes are announced in a live region.
(function () {
  "use strict";

  var list = document.getElementById("mod-list");
  if (!list) {
    return;
  }
  var announcer = document.getElementById("mod-announce");
  var current = -1;

  function cards() {
    return Array.prototype.slice.call(list.querySelectorAll(".mod-comment"));
  }

  function say(text) {
    if (!announcer) {
      return;
    }
    // Clear first so the same words are read out again.
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 30);
  }

  function describe(card) {
    var heading = card.querySelector("h3");
    return heading ? heading.textContent.replace(/\s+/g, " ").trim() : "a comment";
  }

  function moveTo(index) {
    var all = cards();
    if (!all.length) {
      return;
    }
    index = Math.max(0, Math.min(all.length - 1, index));
    if (all[current]) {
      all[current].classList.remove("is-current");
    }
    current = index;
    var card = all[index];
    card.classList.add("is-current");
    card.focus();
    card.scrollIntoView({ block: "nearest" });
    say("Comment " + (index + 1) + " of " + all.length + ": " + describe(card));
  }

  function currentCard() {
    var card = cards()[current];
    if (!card) {
      say("Press j to choose a comment first.");
    }
    return card;
  }

  function act(action, words) {
    var card = currentCard();
    if (!card) {
      return;
    }
    var form = card.querySelector('form[data-action="' + action + '"]');
    if (!form) {
      say("This comment cannot be " + words + " now.");
      return;
    }
    say("Comment " + words + ".");
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll(".mod-select"));
  }

  var selectAll = document.getElementById("select-all");
  var selectAllWrap = document.querySelector(".mod-select-all");

  function syncSelectAll() {
    if (!selectAll) {
      return;
    }
    var all = boxes();
    var checked = all.filter(function (box) {
      return box.checked;
    }).length;
    selectAll.checked = all.length > 0 && checked === all.length;
    selectAll.indeterminate = checked > 0 && checked < all.length;
  }

  function toggleSelection() {
    var card = currentCard();
    if (!card) {
      return;
    }
    var box = card.querySelector(".mod-select");
    if (!box) {
      return;
    }
    box.checked = !box.checked;
    syncSelectAll();
    say((box.checked ? "Selected: " : "Unselected: ") + describe(card));
  }

  if (selectAll && selectAllWrap) {
    selectAllWrap.hidden = false;
    selectAll.addEventListener("change", function () {
      boxes().forEach(function (box) {
        box.checked = selectAll.checked;
      });
      say(selectAll.checked ? "All comments on this page selected." : "Selection cleared.");
    });
    list.addEventListener("change", function (event) {
      if (event.target.classList.contains("mod-select")) {
        syncSelectAll();
      }
    });
  }

  // Clicking or tabbing into a comment makes it the current one.
  list.addEventListener("focusin", function (event) {
    var card = event.target.closest(".mod-comment");
    var index = cards().indexOf(card);
    if (index >= 0 && index !== current) {
      if (cards()[current]) {
        cards()[current].classList.remove("is-current");
      }
      current = index;
      card.classList.add("is-current");
    }
  });

  function typing(target) {
    if (!target || target.isContentEditable) {
      return Boolean(target);
    }
    if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") {
      return true;
    }
    if (target.tagName === "INPUT") {
      return ["checkbox", "radio", "button", "submit", "reset"].indexOf(target.type) < 0;
    }
    return false;
  }

  var keys = {
    j: function () { moveTo(current + 1); },
    k: function () { moveTo(current < 0 ? 0 : current - 1); },
    a: function () { act("approve", "approved"); },
    s: function () { act("spam", "marked as spam"); },
    r: function () { act("reject", "rejected"); },
    x: toggleSelection,
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    if (typing(event.target)) {
      return;
    }
    var handler = keys[event.key];
    if (handler) {
      event.preventDefault();
      handler();
    }
  });
})();
