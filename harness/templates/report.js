"use strict";
// Filters, column chooser, permalinks and cell details for the Start-Method Matrix page.
// Reads only the page itself; writes text with textContent (never innerHTML).
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var all = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var table = $("matrix");
  if (!table) { return; }
  document.body.classList.add("js");
  var F = { cat: $("f-cat"), os: $("f-os"), m: $("f-m"), find: $("f-find"), q: $("f-q"), collapse: $("f-collapse") };
  var envBoxes = all("input.f-env");
  var dyn = $("dyn-style");
  var current = null;

  function state() {
    var s = new URLSearchParams();
    if (F.cat.value) { s.set("cat", F.cat.value); }
    if (F.os.value) { s.set("os", F.os.value); }
    if (F.m.value) { s.set("m", F.m.value); }
    if (F.find.checked) { s.set("find", "1"); }
    if (F.q.value) { s.set("q", F.q.value); }
    if (F.collapse.checked) { s.set("collapse", "1"); }
    var off = envBoxes.filter(function (b) { return !b.checked; }).map(function (b) { return b.value; });
    if (off.length) { s.set("hide", off.join(",")); }
    if (current) { s.set("cell", current); }
    return s;
  }

  function apply(write) {
    var q = F.q.value.trim().toLowerCase();
    var rules = [];
    var visibleEnvs = {};
    all("th.env").forEach(function (th) {
      var i = th.getAttribute("data-e");
      var box = $("col-" + i);
      var ok = (!F.os.value || th.getAttribute("data-os") === F.os.value) &&
        (!F.collapse.checked || th.getAttribute("data-newest") === "1") && (!box || box.checked);
      if (!ok) { rules.push(".e" + i + "{display:none}"); } else { visibleEnvs[i] = th; }
    });
    var methods = all("th.meth").reduce(function (acc, th) { acc[th.getAttribute("data-m")] = 1; return acc; }, {});
    var nMethods = Object.keys(methods).length;
    if (F.m.value) {
      Object.keys(methods).forEach(function (m) { if (m !== F.m.value) { rules.push(".m-" + m + "{display:none}"); } });
      nMethods = 1;
    }
    dyn.textContent = rules.join("\n");
    Object.keys(visibleEnvs).forEach(function (i) { visibleEnvs[i].colSpan = nMethods; });
    all("th.osg").forEach(function (th) {
      var n = all('th.env[data-os="' + th.getAttribute("data-os") + '"]').filter(function (e) {
        return visibleEnvs[e.getAttribute("data-e")]; }).length;
      th.hidden = n === 0;
      if (n) { th.colSpan = n * nMethods; }
    });
    var shown = 0;
    all("tr.case-row, section.case").forEach(function (el) {
      var ok = (!F.cat.value || el.getAttribute("data-cat") === F.cat.value) &&
        (!F.find.checked || el.getAttribute("data-f") === "1") &&
        (!q || el.getAttribute("data-s").indexOf(q) >= 0);
      el.hidden = !ok;
      if (ok && el.tagName === "TR") { shown += 1; }
    });
    all("tbody.cat").forEach(function (tb) {
      tb.hidden = all("tr.case-row", tb).every(function (r) { return r.hidden; });
    });
    $("f-count").textContent = shown + " case rows shown";
    if (write) {
      var s = state().toString();
      history.replaceState(null, "", s ? "#view?" + s : location.pathname + location.search);
    }
  }

  function showCell(key, scroll) {
    var parts = key.split("~");
    var row = $("row-" + parts[0]);
    var head = all('th.env[data-id="' + parts[1] + '"]')[0];
    if (!row || !head) { return; }
    var td = all("td.e" + head.getAttribute("data-e") + ".m-" + parts[2], row)[0];
    if (!td) { return; }
    all("td.sel").forEach(function (c) { c.classList.remove("sel"); });
    td.classList.add("sel");
    current = key;
    var panel = $("detail");
    $("detail-title").textContent = parts[0] + " · " + parts[1] + " · " + parts[2];
    $("detail-text").textContent = td.title;
    $("detail-case").setAttribute("href", "#case-" + parts[0]);
    panel.hidden = false;
    if (scroll) { td.scrollIntoView({ block: "center", inline: "center" }); }
  }

  function restore() {
    var h = location.hash;
    if (h.indexOf("#view?") !== 0) { return; }
    var s = new URLSearchParams(h.slice(6));
    F.cat.value = s.get("cat") || "";
    F.os.value = s.get("os") || "";
    F.m.value = s.get("m") || "";
    F.find.checked = s.get("find") === "1";
    F.q.value = s.get("q") || "";
    F.collapse.checked = s.get("collapse") === "1";
    var hide = (s.get("hide") || "").split(",");
    envBoxes.forEach(function (b) { b.checked = hide.indexOf(b.value) < 0; });
    apply(false);
    if (s.get("cell")) { showCell(s.get("cell"), true); }
  }

  function cellKey(td) {
    var e = null, m = null;
    td.className.split(/\s+/).forEach(function (c) {
      if (/^e\d+$/.test(c)) { e = c.slice(1); } else if (c.indexOf("m-") === 0) { m = c.slice(2); }
    });
    var env = all('th.env[data-e="' + e + '"]')[0];
    return env && m ? td.parentNode.id.slice(4) + "~" + env.getAttribute("data-id") + "~" + m : null;
  }
  table.addEventListener("click", function (ev) {
    var td = ev.target.closest ? ev.target.closest("td") : null;
    var key = td ? cellKey(td) : null;
    if (!key) { return; }
    showCell(key, false);
    apply(true);
  });
  $("detail-close").addEventListener("click", function () {
    $("detail").hidden = true; current = null;
    all("td.sel").forEach(function (c) { c.classList.remove("sel"); });
    apply(true);
  });
  Object.keys(F).forEach(function (k) {
    F[k].addEventListener(k === "q" ? "input" : "change", function () { apply(true); });
  });
  envBoxes.forEach(function (b) { b.addEventListener("change", function () { apply(true); }); });
  all("a.cell-link").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      showCell(a.getAttribute("data-cell"), true);
      apply(true);
    });
  });
  window.addEventListener("hashchange", restore);
  restore();
  if (location.hash.indexOf("#view?") !== 0) { apply(false); }
})();
