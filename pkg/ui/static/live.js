// Streams the running job's log lines into the page (server-sent events). Everything else on
// the page works without this script.
"use strict";
(function () {
  var list = document.getElementById("loglines");
  if (!list || !list.dataset.live || !window.EventSource) return;
  var status = document.getElementById("log-status");
  var hints = document.querySelectorAll(".js-only");
  for (var i = 0; i < hints.length; i++) hints[i].hidden = false;
  var src = new EventSource(list.dataset.live);
  function add(cls, text, seq) {
    var li = document.createElement("li");
    li.className = cls;
    if (seq) li.dataset.seq = seq;
    li.textContent = text;
    list.appendChild(li);
  }
  src.addEventListener("log", function (e) {
    var l = JSON.parse(e.data);
    var t = l.time.replace("T", " ").replace(/\.\d+/, "").replace("+00:00", "Z");
    add("lvl-" + l.level, t + " " + l.level + " " + l.message, l.seq);
  });
  src.addEventListener("status", function (e) {
    var s = JSON.parse(e.data);
    if (status) status.textContent = "This job is " + s.status + (s.message ? " — " + s.message : "") + "; new lines appear as they happen.";
  });
  src.addEventListener("end", function (e) {
    var s = JSON.parse(e.data);
    src.close();
    if (status) status.textContent = "Finished: " + s.status + (s.message ? " — " + s.message : "") + ".";
    list.dataset.ended = s.status;
  });
})();
