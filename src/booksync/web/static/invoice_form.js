// The invoice and bill form: "Add a line" without a round trip, and live totals.
//
// Amounts are integers of minor units (BigInt), never floats, and rounded as the
// server rounds them (booksync.documents.invoice_amounts): a line is quantity times
// unit price rounded half away from zero once; each tax is rounded once on its group;
// a price-included tax's base is the group's gross divided by (1 + rate). The server
// computes everything again on save and its figures are the ones kept.
"use strict";

(function () {
  const form = document.querySelector("[data-invoice-form]");
  if (!form) {
    return;
  }
  const RATE_SCALE = 1000000n; // a rate in ten-thousandths of a percent: 100 % is 1,000,000
  const QUANTITY_PLACES = 3;
  const body = form.querySelector("[data-lines]");
  const currency = form.querySelector("[data-currency]");

  // "12.5" with 2 places -> 1250n; null when it is no amount or has too many decimals.
  function units(text, places) {
    const found = /^\s*([+-])?(\d*)(?:\.(\d*))?\s*$/.exec(text.replace(/_/g, ""));
    if (!found || (!found[2] && !found[3])) {
      return null;
    }
    const fraction = (found[3] || "").replace(/0+$/, "");
    if (fraction.length > places || (found[2] || "").length > 20) {
      return null;
    }
    const value = BigInt((found[2] || "0") + fraction.padEnd(places, "0"));
    return found[1] === "-" ? -value : value;
  }

  // numerator / denominator (> 0) rounded half away from zero.
  function halfUp(numerator, denominator) {
    const negative = numerator < 0n;
    const magnitude = negative ? -numerator : numerator;
    let quotient = magnitude / denominator;
    if (2n * (magnitude % denominator) >= denominator) {
      quotient += 1n;
    }
    return negative ? -quotient : quotient;
  }

  // 123456n with 2 places -> "1,234.56", as the server's money filter writes it.
  function shown(minor, places) {
    const negative = minor < 0n;
    const digits = (negative ? -minor : minor).toString().padStart(places + 1, "0");
    const whole = (places ? digits.slice(0, -places) : digits).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + whole + (places ? "." + digits.slice(-places) : "");
  }

  function places() {
    const option = currency ? currency.selectedOptions[0] : null;
    return option ? Number(option.dataset.exp) : 2;
  }

  function compute() {
    const exp = places();
    const lines = [];
    let bad = false;
    for (const row of body.querySelectorAll("[data-line]")) {
      const cell = row.querySelector("[data-line-amount]");
      const priceText = row.querySelector("[data-price]").value;
      if (!priceText.trim()) {
        cell.textContent = "";
        continue;
      }
      const quantity = units(row.querySelector("[data-quantity]").value.trim() || "1",
                             QUANTITY_PLACES);
      const price = units(priceText, exp);
      if (quantity === null || price === null || quantity <= 0n) {
        cell.textContent = "?";
        bad = true;
        continue;
      }
      const tax = row.querySelector("[data-tax]").selectedOptions[0];
      lines.push({
        cell: cell,
        gross: halfUp(quantity * price, 10n ** BigInt(QUANTITY_PLACES)),
        key: tax && tax.value ? tax.value : null,
        rate: BigInt(tax ? tax.dataset.rate || "0" : "0"),
        included: Boolean(tax && tax.dataset.included === "1"),
      });
    }
    const subtotals = lines.map((line) => line.gross);
    const groups = new Map(); // tax name -> indexes of its lines, in the order first named
    lines.forEach((line, index) => {
      if (line.key !== null) {
        if (!groups.has(line.key)) {
          groups.set(line.key, []);
        }
        groups.get(line.key).push(index);
      }
    });
    let tax = 0n;
    for (const members of groups.values()) {
      const { rate, included } = lines[members[0]];
      if (included) {
        const gross = members.reduce((sum, i) => sum + lines[i].gross, 0n);
        const base = halfUp(gross * RATE_SCALE, RATE_SCALE + rate);
        tax += gross - base;
        let largest = members[0];
        for (const i of members) {
          subtotals[i] = halfUp(lines[i].gross * RATE_SCALE, RATE_SCALE + rate);
          const size = lines[i].gross < 0n ? -lines[i].gross : lines[i].gross;
          const top = lines[largest].gross < 0n ? -lines[largest].gross : lines[largest].gross;
          if (size > top) {
            largest = i;
          }
        }
        subtotals[largest] += base - members.reduce((sum, i) => sum + subtotals[i], 0n);
      } else {
        const base = members.reduce((sum, i) => sum + lines[i].gross, 0n);
        tax += halfUp(base * rate, RATE_SCALE);
      }
    }
    lines.forEach((line, index) => {
      line.cell.textContent = shown(subtotals[index], exp);
    });
    const untaxed = subtotals.reduce((sum, value) => sum + value, 0n);
    const figures = { untaxed: untaxed, tax: tax, total: untaxed + tax };
    for (const [name, value] of Object.entries(figures)) {
      const target = form.querySelector(`[data-total="${name}"]`);
      if (target) {
        target.textContent = bad ? "?" : shown(value, exp);
      }
    }
  }

  // "Add a line" adds an empty copy of the last line here; without the script the
  // server draws the form again with one more line.
  const adder = form.querySelector("[data-add-line]");
  if (adder) {
    adder.addEventListener("click", (event) => {
      const rows = body.querySelectorAll("[data-line]");
      if (!rows.length) {
        return;
      }
      event.preventDefault();
      const copy = rows[rows.length - 1].cloneNode(true);
      for (const input of copy.querySelectorAll("input")) {
        input.value = input.hasAttribute("data-quantity") ? "1" : "";
      }
      for (const select of copy.querySelectorAll("select")) {
        select.selectedIndex = 0;
      }
      for (const problem of copy.querySelectorAll(".field-error")) {
        problem.remove();
      }
      copy.querySelector("[data-line-amount]").textContent = "";
      body.appendChild(copy);
      copy.querySelector("input").focus();
      compute();
    });
  }

  form.addEventListener("input", compute);
  form.addEventListener("change", compute);
  compute();
})();
