"use strict";
// Filters, column chooser, permalinks, cell details and keyboard movement in the matrix for the
// Start-Method Matrix page. Reads only the page itself; writes text with textContent (never
// innerHTML). On load it reads no layout and touches no matrix cell but one (the Tab stop): the
// matrix may not be laid out yet (content-visibility), and forcing it would cost the load time.
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var all = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var table = $("matrix");
  if (!table) { return; }
  document.body.classList.add("js");
  var F = { cat: $("f-cat"), os: $("f-os"), m: $("f-m"), find: $("f-find"), q: $("f-q"), collapse: $("f-collapse") };
  var envBoxes = all("input.f-env");
  var envHeads = all("th.env");
  var envByIndex = {};
  envHeads.forEach(function (th) { envByIndex[th.getAttribute("data-e")] = th; });
  var rows = all("tr.case-row");
  var dyn = $("dyn-style");
  var panel = $("detail");
  var current = null;  // the selected cell ("case~env~method"), kept in the permalink
  var active = null;  // the matrix's single Tab stop: a cell or a case link
  var described = null;  // the cell whose aria-describedby points at the details
  var shown = { envs: {}, method: "" };  // the columns the last apply() left visible

  function put(el, prop, value) { if (el[prop] !== value) { el[prop] = value; } }

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

  // Changes only what differs: rewriting the same style or colspan would re-lay out the matrix.
  function apply(write) {
    var q = F.q.value.trim().toLowerCase();
    var rules = [];
    var visibleEnvs = {};
    envHeads.forEach(function (th) {
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
    put(dyn, "textContent", rules.join("\n"));
    shown = { envs: visibleEnvs, method: F.m.value };
    Object.keys(visibleEnvs).forEach(function (i) { put(visibleEnvs[i], "colSpan", nMethods); });
    all("th.osg").forEach(function (th) {
      var n = envHeads.filter(function (e) {
        return e.getAttribute("data-os") === th.getAttribute("data-os") && visibleEnvs[e.getAttribute("data-e")];
      }).length;
      put(th, "hidden", n === 0);
      if (n) { put(th, "colSpan", n * nMethods); }
    });
    var count = 0;
    all("tr.case-row, section.case").forEach(function (el) {
      var ok = (!F.cat.value || el.getAttribute("data-cat") === F.cat.value) &&
        (!F.find.checked || el.getAttribute("data-f") === "1") &&
        (!q || el.getAttribute("data-s").indexOf(q) >= 0);
      put(el, "hidden", !ok);
      if (ok && el.tagName === "TR") { count += 1; }
    });
    all("tbody.cat").forEach(function (tb) {
      put(tb, "hidden", all("tr.case-row", tb).every(function (r) { return r.hidden; }));
    });
    $("f-count").textContent = count + " case rows shown";
    keepTabStop();
    if (write) {
      var s = state().toString();
      history.replaceState(null, "", s ? "#view?" + s : location.pathname + location.search);
    }
  }

  // ---- cells: identity, visibility under the filters (no layout read), the Tab stop
  function parts(td) {
    var p = { e: null, m: null };
    td.className.split(/\s+/).forEach(function (c) {
      if (/^e\d+$/.test(c)) { p.e = c.slice(1); } else if (c.indexOf("m-") === 0) { p.m = c.slice(2); }
    });
    return p;
  }
  function cellKey(td) {
    var p = parts(td);
    var env = envByIndex[p.e];
    return env && p.m ? td.parentNode.id.slice(4) + "~" + env.getAttribute("data-id") + "~" + p.m : null;
  }
  function isCell(el) { return el.tagName === "TD" || (el.tagName === "TH" && el.classList.contains("rh")); }
  function visible(cell) {
    var row = cell.parentNode;
    if (row.hidden || row.parentNode.hidden) { return false; }
    if (cell.tagName !== "TD") { return true; }
    var p = parts(cell);
    return Boolean(shown.envs[p.e]) && (!shown.method || shown.method === p.m);
  }
  function focusable(cell) { return cell.tagName === "TD" ? cell : cell.querySelector("a"); }
  function cellOf(el) { return el.tagName === "A" ? el.parentNode : el; }
  function setActive(el) {
    if (active === el) { return; }
    if (active) { active.setAttribute("tabindex", "-1"); }
    if (el) { el.setAttribute("tabindex", "0"); }
    active = el;
  }
  function step(cell, dRow, dCol) {
    var row = cell.parentNode;
    var i;
    if (dCol) {
      for (i = cell.cellIndex + dCol; i >= 0 && i < row.cells.length; i += dCol) {
        if (visible(row.cells[i])) { return row.cells[i]; }
      }
      return null;
    }
    for (i = rows.indexOf(row) + dRow; i >= 0 && i < rows.length; i += dRow) {
      if (visible(rows[i].cells[0])) { return rows[i].cells[cell.cellIndex]; }
    }
    return null;
  }
  function farthest(cell, dRow, dCol) {
    var next = step(cell, dRow, dCol);
    while (next) { cell = next; next = step(cell, dRow, dCol); }
    return cell;
  }
  function keepTabStop() {
    if (active && visible(cellOf(active))) { return; }
    var first = null;
    for (var r = 0; r < rows.length && !first; r += 1) {
      if (visible(rows[r].cells[0])) { first = step(rows[r].cells[0], 0, 1) || rows[r].cells[0]; }
    }
    setActive(first ? focusable(first) : null);
  }

  // ---- the details panel: the focused cell's, or the selected one's (a permalink)
  function describe(td) {
    var key = cellKey(td);
    if (!key) { return; }
    var p = key.split("~");
    $("detail-title").textContent = p[0] + " · " + p[1] + " · " + p[2];
    $("detail-text").textContent = td.title;
    $("detail-case").setAttribute("href", "#case-" + p[0]);
    $("detail-hint").textContent = key === current ? "the address bar now holds a permalink to this cell"
      : "Enter selects this cell: a permalink to it in the address bar";
    if (described && described !== td) { described.removeAttribute("aria-describedby"); }
    td.setAttribute("aria-describedby", "detail-text");
    described = td;
    panel.hidden = false;
  }
  function findCell(key) {
    var p = key.split("~");
    var row = $("row-" + p[0]);
    var head = envHeads.filter(function (th) { return th.getAttribute("data-id") === p[1]; })[0];
    return row && head ? all("td.e" + head.getAttribute("data-e") + ".m-" + p[2], row)[0] || null : null;
  }
  function showCell(key, scroll, focus) {
    var td = findCell(key);
    if (!td) { return; }
    all("td.sel").forEach(function (c) { c.classList.remove("sel"); });
    td.classList.add("sel");
    current = key;
    setActive(td);
    describe(td);
    if (scroll) { td.scrollIntoView({ block: "center", inline: "center" }); }
    if (focus) { td.focus({ preventScroll: scroll }); }
  }
  function closeDetail() {
    panel.hidden = true;
    current = null;
    all("td.sel").forEach(function (c) { c.classList.remove("sel"); });
    apply(true);
  }
  function afterFocusLeaves(ev) {
    var to = ev.relatedTarget;
    if (to && (table.contains(to) || panel.contains(to))) { return; }
    var td = current ? findCell(current) : null;
    if (td) { describe(td); } else { panel.hidden = true; }
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
    if (s.get("cell")) { showCell(s.get("cell"), true, false); }
  }

  // With the script the matrix is a grid: one Tab stop, arrow keys inside (WAI-ARIA grid).
  table.setAttribute("role", "grid");
  all("th.rh a").forEach(function (a) { a.setAttribute("tabindex", "-1"); });
  table.addEventListener("click", function (ev) {
    var td = ev.target.closest ? ev.target.closest("td") : null;
    var key = td ? cellKey(td) : null;
    if (!key) { return; }
    showCell(key, false, true);
    apply(true);
  });
  table.addEventListener("focusin", function (ev) {
    var cell = cellOf(ev.target);
    if (!isCell(cell)) { return; }
    setActive(ev.target);
    if (cell.tagName === "TD") { describe(cell); }
  });
  table.addEventListener("focusout", afterFocusLeaves);
  panel.addEventListener("focusout", afterFocusLeaves);
  table.addEventListener("keydown", function (ev) {
    var cell = cellOf(ev.target);
    if (!isCell(cell)) { return; }
    var moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    var next = null;
    if (moves[ev.key]) {
      next = step(cell, moves[ev.key][0], moves[ev.key][1]);
    } else if (ev.key === "Home" || ev.key === "End") {
      var d = ev.key === "Home" ? -1 : 1;
      next = ev.ctrlKey ? farthest(cell, d, 0) : farthest(cell, 0, d);
    } else if ((ev.key === "Enter" || ev.key === " ") && cell.tagName === "TD") {
      showCell(cellKey(cell), false, false);
      apply(true);
    } else if (ev.key === "Escape") {
      closeDetail();
    } else {
      return;
    }
    ev.preventDefault();
    if (next) { setActive(focusable(next)); focusable(next).focus(); }
  });
  $("detail-close").addEventListener("click", closeDetail);
  Object.keys(F).forEach(function (k) {
    F[k].addEventListener(k === "q" ? "input" : "change", function () { apply(true); });
  });
  envBoxes.forEach(function (b) { b.addEventListener("change", function () { apply(true); }); });
  all("a.cell-link").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      showCell(a.getAttribute("data-cell"), true, true);
      apply(true);
    });
  });
  window.addEventListener("hashchange", restore);
  restore();
  if (location.hash.indexOf("#view?") !== 0) { apply(false); }
})();
