// The new entry form: Add a line without a round trip, and live totals.
// Totals are summed in integer minor units (BigInt), never in floating point;
// the server checks the entry again and is the one that counts.
"use strict";

(() => {
  const form = document.querySelector("form.entry-form");
  if (!form) {
    return;
  }
  const exponent = Number(form.getAttribute("data-exponent") || "2");
  const lines = form.querySelector("[data-lines]");
  const totals = form.querySelector("[data-totals]");

  // "12.5" -> 1250n at exponent 2; null when it is not an amount of this currency.
  function minor(text) {
    const value = text.trim().replace(/_/g, "");
    if (value === "") {
      return 0n;
    }
    const found = /^(\d+)(?:\.(\d*))?$/.exec(value);
    if (!found || (found[2] || "").length > exponent) {
      return null;
    }
    const fraction = (found[2] || "").padEnd(exponent, "0");
    return BigInt(found[1] + fraction);
  }

  function shown(units) {
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(exponent + 1, "0");
    const whole = digits.slice(0, digits.length - exponent) || "0";
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const text = exponent ? `${grouped}.${digits.slice(digits.length - exponent)}` : grouped;
    return (negative ? "-" : "") + text;
  }

  function update() {
    let debits = 0n;
    let credits = 0n;
    for (const input of form.querySelectorAll("[data-amount]")) {
      const units = minor(input.value);
      if (units === null) {
        totals.textContent = `"${input.value}" is not an amount.`;
        return;
      }
      if (input.getAttribute("data-amount") === "debit") {
        debits += units;
      } else {
        credits += units;
      }
    }
    const difference = debits - credits;
    totals.textContent = `Debits ${shown(debits)}, credits ${shown(credits)}` +
      (difference === 0n ? ": balanced." : `, difference ${shown(difference < 0n ? -difference : difference)}.`);
  }

  form.addEventListener("input", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.hasAttribute("data-amount")) {
      update();
    }
  });

  form.addEventListener("click", (event) => {
    const button = event.target.closest("[data-add-line]");
    if (!button) {
      return;
    }
    event.preventDefault();
    const rows = lines.querySelectorAll("[data-line]");
    const row = rows[rows.length - 1].cloneNode(true);
    for (const field of row.querySelectorAll("input, select")) {
      if (field instanceof HTMLSelectElement) {
        field.selectedIndex = 0;
      } else {
        field.value = "";
      }
    }
    lines.appendChild(row);
    row.querySelector("select").focus();
    update();
  });

  update();
})();
