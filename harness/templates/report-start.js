// Starts the page: the view the address names (a permalink), or the default view.
window.addEventListener("hashchange", restore);
restore();
if (location.hash.indexOf("#view?") !== 0) { apply(false); }
