/* Exam page: a visible countdown, autosave of every answer with fetch() (CSRF token from
   the form's hidden field, sent as the x-csrftoken header), a local copy of unsent answers
   that survives a reload or a dropped connection, and a confirmation before submitting.
   Without JavaScript the page still works: the form posts every answer. */
(function () {
  "use strict";
  var form = document.getElementById("exam-form");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave");
  var storeKey = "exam-pending-" + form.getAttribute("data-admission");
  var tokenField = form.querySelector("input[name=_csrf_token]");
  var statusBox = document.getElementById("exam-status");
  var timer = document.getElementById("exam-timer");
  var pending = {};
  var timers = {};
  var expired = false;

  try { pending = JSON.parse(window.localStorage.getItem(storeKey) || "{}"); } catch (e) { pending = {}; }

  function keep() {
    try { window.localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }

  function valueOf(box) {
    var kind = box.getAttribute("data-kind");
    var id = box.getAttribute("data-question");
    if (kind === "multiple") {
      return Array.prototype.map.call(box.querySelectorAll("input[name=q" + id + "]:checked"), function (i) { return i.value; });
    }
    if (kind === "single" || kind === "true_false") {
      var picked = box.querySelector("input[name=q" + id + "]:checked");
      return picked ? picked.value : null;
    }
    return box.querySelector("textarea").value;
  }

  function applyValue(box, value) {
    var id = box.getAttribute("data-question");
    var kind = box.getAttribute("data-kind");
    if (kind === "short_answer" || kind === "case_analysis") {
      box.querySelector("textarea").value = value || "";
      return;
    }
    var chosen = Array.isArray(value) ? value.map(String) : [String(value)];
    Array.prototype.forEach.call(box.querySelectorAll("input[name=q" + id + "]"), function (input) {
      input.checked = chosen.indexOf(input.value) >= 0;
    });
  }

  function say(id, text) {
    var state = form.querySelector('.save-state[data-for="' + id + '"]');
    if (state) { state.textContent = text; }
    if (statusBox) { statusBox.textContent = text; }
  }

  function send(id) {
    if (!(id in pending) || expired) { return; }
    var body = JSON.stringify({ question_id: Number(id), response: pending[id] });
    var sent = pending[id];
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "x-csrftoken": tokenField ? tokenField.value : "" },
      body: body
    }).then(function (answer) {
      return answer.json().then(function (data) { return { ok: answer.ok, status: answer.status, data: data }; });
    }).then(function (result) {
      if (result.ok) {
        if (JSON.stringify(pending[id]) === JSON.stringify(sent)) { delete pending[id]; keep(); }
        say(id, statusBox.getAttribute("data-saved") + " " + new Date().toLocaleTimeString());
        if (typeof result.data.remaining_seconds === "number") { remaining = result.data.remaining_seconds; }
      } else if (result.status >= 400 && result.status < 500) {
        delete pending[id]; keep();
        say(id, statusBox.getAttribute("data-refused") + ": " + (result.data.detail || ""));
      } else {
        say(id, statusBox.getAttribute("data-offline"));
      }
    }).catch(function () {
      say(id, statusBox.getAttribute("data-offline"));
    });
  }

  function changed(box, delay) {
    var id = box.getAttribute("data-question");
    pending[id] = valueOf(box);
    keep();
    clearTimeout(timers[id]);
    timers[id] = setTimeout(function () { send(id); }, delay);
  }

  Array.prototype.forEach.call(form.querySelectorAll("fieldset.question"), function (box) {
    var id = box.getAttribute("data-question");
    if (id in pending) { applyValue(box, pending[id]); send(id); }
    box.addEventListener("change", function () { changed(box, 0); });
    box.addEventListener("input", function (event) {
      if (event.target.tagName === "TEXTAREA") { changed(box, 1500); }
    });
  });

  setInterval(function () { Object.keys(pending).forEach(send); }, 10000);
  window.addEventListener("online", function () { Object.keys(pending).forEach(send); });

  var submitButton = document.getElementById("submit-paper");
  if (submitButton) {
    submitButton.addEventListener("click", function (event) {
      var confirmBox = document.getElementById("confirm-submit");
      if (!window.confirm(submitButton.getAttribute("data-confirm"))) { event.preventDefault(); return; }
      if (confirmBox) { confirmBox.checked = true; }
      pending = {}; keep();
    });
  }

  var remaining = timer ? Number(timer.getAttribute("data-remaining")) : 0;
  var started = Date.now();
  var base = remaining;
  function tick() {
    if (!timer) { return; }
    var left = Math.max(0, base - Math.floor((Date.now() - started) / 1000));
    if (remaining !== base) { base = remaining; started = Date.now(); left = base; }
    remaining = base;
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    timer.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    if (left <= 0 && !expired) {
      expired = true;
      timer.textContent = timer.getAttribute("data-expired");
      Array.prototype.forEach.call(form.querySelectorAll("input, textarea, button"), function (el) {
        if (el.type !== "hidden") { el.disabled = true; }
      });
      try { window.localStorage.removeItem(storeKey); } catch (e) { /* ignore */ }
    }
  }
  tick();
  setInterval(tick, 1000);
})();
