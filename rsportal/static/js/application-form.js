// Messages come translated from the template (data attributes on #connection-status).
// Keeps what people type in the application form safe when the network fails:
// every autosaved section is copied to localStorage until the server confirms the
// save, and restored on the next visit if it never was confirmed.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-autosave]");
  var status = document.getElementById("connection-status");

  function key(form) { return "rsportal:draft:" + form.getAttribute("data-autosave"); }

  function snapshot(form) {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && name !== "version" && name !== "variant" && typeof value === "string") {
        data[name] = data[name] === undefined ? value : [].concat(data[name], value);
      }
    });
    return data;
  }

  function restore(form) {
    var saved = window.localStorage.getItem(key(form));
    if (!saved) { return; }
    var data;
    try { data = JSON.parse(saved); } catch (e) { window.localStorage.removeItem(key(form)); return; }
    var changed = false;
    Object.keys(data).forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field || field.type === "checkbox" || field.type === "file") { return; }
      if (field.value !== data[name]) { field.value = data[name]; changed = true; }
    });
    if (changed && status) {
      status.textContent = status.dataset.restored;
      form.dispatchEvent(new Event("change", { bubbles: true }));
    } else {
      window.localStorage.removeItem(key(form));
    }
  }

  forms.forEach(function (form) {
    restore(form);
    form.addEventListener("input", function () {
      try { window.localStorage.setItem(key(form), JSON.stringify(snapshot(form))); } catch (e) { /* storage full or blocked */ }
    });
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-autosave")) { return; }
    if (event.detail.successful && !form.querySelector("[data-conflict]")) {
      window.localStorage.removeItem(key(form));
      if (status) { status.textContent = ""; }
    }
  });

  document.body.addEventListener("htmx:sendError", function (event) {
    if (status) {
      status.textContent = status.dataset.offline;
    }
  });
  document.body.addEventListener("htmx:responseError", function () {
    if (status) { status.textContent = status.dataset.failed; }
  });
})();
