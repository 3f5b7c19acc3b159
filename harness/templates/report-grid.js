// The matrix as a grid (WAI-ARIA): a cell's identity and visibility under the filters (no
// layout read), its single Tab stop, and the arrow, Home, End, Enter and Escape keys.
function colOf(td) { return td.tagName === "TD" && td.parentNode.classList.contains("case-row") ? cols[td.cellIndex] || null : null; }
function cellKey(td) {
  var c = colOf(td);
  return c ? td.parentNode.id.slice(4) + "~" + c[0] + "~" + c[1] : null;
}
// A matrix cell as the docs say carries no data-verdict (11,000 of CI's 12,636 cells).
function verdictOf(td, words) { var v = td.getAttribute("data-verdict"); return v === null ? words.AS_EXPECTED : v; }
function isCell(el) { return Boolean(colOf(el)) || (el.tagName === "TH" && el.classList.contains("rh")); }
function visible(cell) {
  var row = cell.parentNode;
  if (row.hidden || row.parentNode.hidden) { return false; }
  if (cell.tagName !== "TD") { return true; }
  var c = colOf(cell);
  return Boolean(c && shown.envs[c[0]]) && (!shown.method || shown.method === c[1]);
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
// A press (a mouse or a finger: a tap fires mousedown too) focuses a cell before its click:
// the panel opened then covered the cell, so a tap low on a phone's screen never reached it
// and selected nothing. A press leaves the details to its click (which selects the cell).
var pressed = false;
var closing = false;  // focus going back to a cell as its panel closes: it stays closed
table.addEventListener("mousedown", function () {
  pressed = true;
  setTimeout(function () { pressed = false; }, 0);  // the focus comes in this same task
});
table.addEventListener("focusin", function (ev) {
  var cell = cellOf(ev.target);
  if (!isCell(cell)) { return; }
  setActive(ev.target);
  if (cell.tagName === "TD" && !pressed && !closing) { describe(cell); keepInSight(cell); }
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
