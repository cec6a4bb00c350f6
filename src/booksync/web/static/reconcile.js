// The reconciliation widget's niceties; the page works without them (plain forms).
// - the open items' search box filters the rows as you type;
// - ticking open items shows what they add up to against the line, in integer
//   minor units (BigInt), never floating point, and what is left over to write off.
"use strict";

(function () {
  function formatMinor(value, exponent) {
    const negative = value < 0n;
    let digits = (negative ? -value : value).toString();
    if (exponent > 0) {
      digits = digits.padStart(exponent + 1, "0");
      digits = digits.slice(0, -exponent) + "." + digits.slice(-exponent);
    }
    return (negative ? "-" : "") + digits;
  }

  function filterRows(input) {
    const table = document.getElementById(input.getAttribute("data-filter-rows"));
    if (!table) {
      return;
    }
    const wanted = input.value.trim().toLowerCase();
    for (const row of table.tBodies[0].rows) {
      const text = (row.getAttribute("data-text") || "").toLowerCase();
      row.hidden = wanted !== "" && !text.includes(wanted);
    }
  }

  function showTotal(form) {
    const out = form.querySelector(".pick-total");
    const lineText = form.getAttribute("data-line-cents");
    if (!out || !lineText) {
      return;
    }
    const exponent = Number(form.getAttribute("data-exponent") || "2");
    const ticked = form.querySelectorAll('input[name="item"]:checked');
    if (ticked.length === 0) {
      out.textContent = "";
      return;
    }
    let total = 0n;
    for (const box of ticked) {
      const cents = box.getAttribute("data-cents");
      if (cents === null) {
        out.textContent = "An item in another currency is ticked: the amounts are worked out when reconciling.";
        return;
      }
      total += BigInt(cents);
    }
    const line = BigInt(lineText);
    const left = line - total;
    let text = "Ticked: " + formatMinor(total, exponent) + " of " + formatMinor(line, exponent) + ".";
    if (left > 0n) {
      text += " Left over: " + formatMinor(left, exponent) + " (write it off below, or it is refused).";
    } else if (left < 0n) {
      text += " The last item is paid partly; " + formatMinor(-left, exponent) + " stays open.";
    }
    out.textContent = text;
  }

  document.addEventListener("input", (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement && target.hasAttribute("data-filter-rows")) {
      filterRows(target);
    }
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement && target.name === "item" && target.form) {
      showTotal(target.form);
    }
  });
})();
