// Fetch now, live: start the run with the form's own POST, then follow its server-sent
// events (docs/web.md, "Fetch now").  Without this script the form posts and the page
// shows the run in its log.
"use strict";

(() => {
  const COUNTS = ["fetched", "new", "duplicates", "pending", "updated", "reconciled"];
  const PHASES = {
    fetching: "asking the bank",
    booking: "booking",
    reconciling: "reconciling",
    running: "running in another process",
  };

  // `reversed` (booked lines the bank withdrew) is rare: said only when there are some.
  function counts(data) {
    const shown = COUNTS.map((name) => `${name} ${data[name]}`);
    if (data.reversed) {
      shown.push(`reversed ${data.reversed}`);
    }
    return shown.join(" · ");
  }

  function say(box, text) {
    box.hidden = false;
    box.textContent = text;
  }

  function add(box, text) {
    box.hidden = false;
    box.textContent = box.textContent ? `${box.textContent}\n${text}` : text;
  }

  // `after`: the newest run the page knew, so that a server process other than the
  // one running the new run waits for it to appear in the log.
  function follow(form, box, withAfter) {
    const button = form.querySelector("button");
    let address = form.getAttribute("data-events");
    const after = form.getAttribute("data-after");
    if (withAfter && after) {
      address += (address.includes("?") ? "&" : "?") + `after=${encodeURIComponent(after)}`;
    }
    const source = new EventSource(address);
    let done = false;
    source.addEventListener("progress", (event) => {
      const data = JSON.parse(event.data);
      const phase = PHASES[data.phase] || data.phase;
      const account = data.account ? ` (${data.account})` : "";
      add(box, `Run ${data.run}, window ${data.window_start} to ${data.window_end}: ${phase}${account}: ${counts(data)}`);
    });
    source.addEventListener("result", (event) => {
      done = true;
      source.close();
      const data = JSON.parse(event.data);
      const difference = data.balance_difference ? ` · balance difference ${data.balance_difference}` : "";
      add(box, `Result: ${data.state}: ${counts(data)}${difference}`);
      if (data.error) {
        add(box, `Error: ${data.error}`);
      }
      if (button) {
        button.disabled = false;
      }
      form.setAttribute("data-after", data.run || after || "");
      const log = document.querySelector("table.runs");
      if (log) {
        add(box, "Reload the page to see the run in the log.");
      }
    });
    source.addEventListener("idle", () => {
      done = true;
      source.close();
      say(box, "No run yet.");
      if (button) {
        button.disabled = false;
      }
    });
    source.onerror = () => {
      if (!done) {
        source.close();
        add(box, "The live progress stopped: reload the page to see the run's result.");
        if (button) {
          button.disabled = false;
        }
      }
    };
  }

  async function start(form, box) {
    const button = form.querySelector("button");
    if (button) {
      button.disabled = true;
    }
    say(box, "Starting…");
    let answer;
    try {
      answer = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json", "X-CSRF-Token": window.booksync.csrfToken() },
        credentials: "same-origin",
      });
    } catch (error) {
      say(box, "The server could not be reached.");
      if (button) {
        button.disabled = false;
      }
      return;
    }
    if (answer.status !== 202) {
      say(box, `Fetch now was refused (HTTP ${answer.status}): reload the page.`);
      if (button) {
        button.disabled = false;
      }
      return;
    }
    const data = await answer.json();
    say(box, data.started ? "Run started." : "A run is in progress already: following it.");
    follow(form, box, true);
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const form of document.querySelectorAll("form.fetch-now")) {
      const holder = form.closest("[data-fetch]");
      const box = holder ? holder.querySelector(".progress") : null;
      if (!box) {
        continue;
      }
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        start(form, box);
      });
      if (form.hasAttribute("data-running")) {
        say(box, "A run is in progress: following it.");
        if (form.querySelector("button")) {
          form.querySelector("button").disabled = true;
        }
        follow(form, box, false);
      }
    }
  });
})();
