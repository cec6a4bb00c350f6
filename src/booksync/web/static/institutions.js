// "Add a bank account": live filtering of the institutions shown as one types.
// The server's search (?q=, the same form) finds the rest; without this script
// the form simply submits.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("input[data-live-filter]");
  const table = box ? document.getElementById(box.getAttribute("data-live-filter")) : null;
  if (!table) {
    return;
  }
  const rows = Array.from(table.querySelectorAll("tbody tr[data-text]"));
  box.addEventListener("input", () => {
    const wanted = box.value.trim().toLowerCase();
    for (const row of rows) {
      row.hidden = wanted !== "" && !row.getAttribute("data-text").includes(wanted);
    }
  });
});
