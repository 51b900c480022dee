/* The desk's unsaved work (own origin, no inline code: CSP-clean; every page works without it).
   1. A form marked data-unsaved asks before the page is left with changes not saved.
   2. A form with data-watch (the URL of a draft's last-save marker, JSON) polls it; when someone
      else saved the draft since the page was loaded, a notice says so before one saves. The save
      is still refused by the server's lock rule; this only tells you sooner. */
(function () {
  "use strict";

  function snapshot(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "submit" || el.type === "button" || el.type === "hidden") return;
      if ((el.type === "checkbox" || el.type === "radio")) parts.push(el.name + "=" + el.checked);
      else if (el.tagName === "SELECT" && el.multiple) {
        parts.push(el.name + "=" + Array.prototype.map.call(el.selectedOptions, function (o) { return o.value; }).join(","));
      } else parts.push(el.name + "=" + el.value);
    });
    return parts.join("\u0000");
  }

  var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-unsaved]"));
  var leaving = false;
  forms.forEach(function (form) {
    form.dataset.unsavedInitial = snapshot(form);
    form.addEventListener("submit", function () { leaving = true; });
  });

  function dirty() {
    return forms.some(function (form) { return snapshot(form) !== form.dataset.unsavedInitial; });
  }

  window.addEventListener("beforeunload", function (event) {
    if (leaving || !dirty()) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  });

  function lockOf(form) {
    var field = form.elements.namedItem("lock_version") || form.elements.namedItem("lock");
    return field && field.value ? String(field.value) : null;
  }

  function watch(form) {
    var url = form.dataset.watch;
    var loaded = form.dataset.watchLock || lockOf(form);
    var every = Math.max(2, parseInt(form.dataset.watchSeconds || "15", 10)) * 1000;
    var notice = document.getElementById(form.dataset.watchNotice || "") || document.createElement("div");
    if (!notice.parentNode) form.parentNode.insertBefore(notice, form);
    var timer = null;

    function check() {
      if (document.hidden) return;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (marker) {
          if (!marker || loaded === null || String(marker.lock_version) === loaded) return;
          var who = marker.saved_by ? marker.saved_by : "someone";
          var when = marker.saved_at ? new Date(marker.saved_at).toLocaleTimeString() : "";
          notice.className = "message error watch-notice";
          notice.setAttribute("role", "alert");
          notice.textContent = "Saved by " + who + (when ? " at " + when : "") +
            " since you opened this page (now revision " + marker.lock_version + "). " +
            "Your save would be refused: copy your changes, then reload to see theirs.";
          clearInterval(timer);
        })
        .catch(function () { /* offline or signed out: the server's lock rule still protects the save */ });
    }
    timer = setInterval(check, every);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) check(); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-watch]"), watch);
})();
