// The comment form, improved: the reply form moves under the comment being
// answered, and a comment is posted through the JSON API without a reload.
// Without this script the form still works (it posts and the page reloads).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function setup() {
    var respond = document.getElementById("respond");
    var form = document.getElementById("commentform");
    if (!respond || !form) return;
    var home = document.createElement("div");
    home.id = "respond-home";
    respond.parentNode.insertBefore(home, respond);
    var parentInput = document.getElementById("comment-parent");
    var cancel = document.getElementById("cancel-comment-reply-link");
    var title = document.getElementById("reply-title");
    var status = form.querySelector(".comment-form-status");
    var baseTitle = "Leave a Reply";

    function setTitle(name) {
      var first = title.firstChild;
      while (first && first.nodeType === Node.TEXT_NODE) {
        title.removeChild(first);
        first = title.firstChild;
      }
      var old = title.querySelector(".reply-to-name");
      if (old) old.parentNode.removeChild(old);
      var text = document.createTextNode(name ? baseTitle + " to " : baseTitle + " ");
      title.insertBefore(text, title.firstChild);
      if (name) {
        var span = el("span", "reply-to-name", name);
        title.insertBefore(span, text.nextSibling);
        title.insertBefore(document.createTextNode(" "), span.nextSibling);
      }
    }

    function moveUnder(commentId, author) {
      var li = document.getElementById("comment-" + commentId);
      if (!li) return false;
      var article = li.querySelector(".comment-inner");
      li.insertBefore(respond, article ? article.nextSibling : li.firstChild);
      if (parentInput) parentInput.value = commentId;
      if (cancel) cancel.hidden = false;
      setTitle(author);
      var body = form.querySelector("textarea[name=body]");
      if (body) body.focus();
      return true;
    }

    function moveHome() {
      home.parentNode.insertBefore(respond, home.nextSibling);
      if (parentInput) parentInput.value = "";
      if (cancel) cancel.hidden = true;
      setTitle("");
    }

    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest(".comment-reply-link") : null;
      if (link && moveUnder(link.getAttribute("data-comment-id"), link.getAttribute("data-author"))) {
        event.preventDefault();
      }
    });
    if (cancel) {
      cancel.addEventListener("click", function (event) {
        event.preventDefault();
        moveHome();
      });
    }

    function clearErrors() {
      form.querySelectorAll(".field-error").forEach(function (node) {
        node.parentNode.removeChild(node);
      });
      form.querySelectorAll("[aria-invalid]").forEach(function (node) {
        node.removeAttribute("aria-invalid");
        node.removeAttribute("aria-describedby");
      });
      var summary = document.getElementById("comment-form-errors");
      if (summary) summary.parentNode.removeChild(summary);
    }

    function showErrors(fields) {
      Object.keys(fields || {}).forEach(function (name) {
        var input = form.querySelector('[name="' + name + '"]');
        if (!input || input.type === "hidden") return;
        var message = el("span", "field-error", fields[name]);
        message.id = "comment-" + name + "-error";
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", message.id);
        input.parentNode.appendChild(message);
      });
    }

    function commentElement(data) {
      var li = el("li", "comment" + (data.status === "pending" ? " comment-held" : ""));
      li.id = "comment-" + data.id;
      var article = el("article", "comment-inner");
      var header = el("header", "comment-meta");
      var avatar = el("img", "avatar");
      avatar.src = data.author.avatar_url || "";
      avatar.alt = "";
      avatar.width = 40;
      avatar.height = 40;
      header.appendChild(avatar);
      var who = el("span", "comment-author");
      if (data.author.website) {
        var link = el("a", "url", data.author.name);
        link.href = data.author.website;
        link.rel = "nofollow ugc";
        who.appendChild(link);
      } else {
        who.textContent = data.author.name;
      }
      header.appendChild(who);
      var when = el("a", "comment-permalink");
      when.href = "/c/" + data.id;
      var time = el("time", "", new Date(data.created_at).toLocaleString());
      time.setAttribute("datetime", data.created_at);
      when.appendChild(time);
      header.appendChild(document.createTextNode(" "));
      header.appendChild(when);
      article.appendChild(header);
      if (data.status === "pending") {
        article.appendChild(el("p", "comment-awaiting-moderation", "Your comment is awaiting moderation."));
      }
      var body = el("div", "comment-body");
      body.innerHTML = data.html; // sanitised by the server's allowlist
      article.appendChild(body);
      li.appendChild(article);
      return li;
    }

    function insert(data) {
      var node = commentElement(data);
      var parent = data.parent_id ? document.getElementById("comment-" + data.parent_id) : null;
      var list;
      if (parent) {
        list = parent.querySelector(":scope > ol.children");
        if (!list) {
          list = el("ol", "children");
          parent.appendChild(list);
        }
      } else {
        list = document.querySelector("#comments > ol.comment-list");
        if (!list) {
          list = el("ol", "comment-list");
          var none = document.querySelector("#comments .no-comments");
          if (none) none.parentNode.replaceChild(list, none);
          else home.parentNode.insertBefore(list, home);
        }
      }
      list.appendChild(node);
      return node;
    }

    function payload() {
      var data = {};
      ["body", "name", "email", "website"].forEach(function (name) {
        var input = form.querySelector('[name="' + name + '"]');
        if (input) data[name] = input.value;
      });
      var notify = form.querySelector('[name="notify"]');
      if (notify) data.notify = notify.checked;
      if (parentInput && parentInput.value) data.parent_id = parseInt(parentInput.value, 10);
      return data;
    }

    form.addEventListener("submit", function (event) {
      var trap = form.querySelector('[name="homepage"]');
      if (!window.fetch || !form.dataset.api || (trap && trap.value)) return; // let the form post
      event.preventDefault();
      clearErrors();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      status.textContent = "Posting…";
      fetch(form.dataset.api, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": csrfToken()
        },
        body: JSON.stringify(payload())
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, status: response.status, data: data };
          });
        })
        .then(function (result) {
          if (button) button.disabled = false;
          if (!result.ok) {
            status.textContent = result.data.error || "Your comment could not be posted.";
            showErrors(result.data.fields);
            return;
          }
          var data = result.data;
          form.querySelector("textarea[name=body]").value = "";
          moveHome();
          if (data.status === "approved" || data.status === "pending") {
            var node = insert(data);
            node.scrollIntoView({ block: "center" });
          }
          status.textContent = data.message || "";
        })
        .catch(function () {
          if (button) button.disabled = false;
          status.textContent = "";
          form.submit(); // the network or the API failed: post the plain form instead
        });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
