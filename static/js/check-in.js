// The check-in list at the door (templates/meetings/check_in.html). Without this script the
// page works by itself: the search is a GET form and each button a POST that comes back to
// the list. With it, the list narrows while one types, and the buttons are sent in the
// background: the server answers JSON with the row as it now is, which replaces the old one
// without reloading the page; the result is read out from the status region.
(() => {
  const list = document.getElementById("check-in-list");
  const search = document.getElementById("check-in-query");
  const status = document.getElementById("check-in-status");
  const summary = document.getElementById("check-in-summary");
  const empty = document.getElementById("check-in-empty");
  if (!list || !search || !status) {
    return;
  }

  const say = (text) => {
    status.textContent = text;
  };

  // Each word typed must be in the person's name, municipality or job title, as on the server.
  const words = () => search.value.toLocaleLowerCase().split(/\s+/).filter(Boolean);

  let announce = null;
  const filter = () => {
    const wanted = words();
    const rows = list.querySelectorAll(".check-in-row");
    let shown = 0;
    for (const row of rows) {
      const text = row.dataset.search || "";
      const match = wanted.every((word) => text.includes(word));
      row.hidden = !match;
      shown += match ? 1 : 0;
    }
    if (empty) {
      empty.hidden = shown > 0;
    }
    // Read out once typing pauses, not at every key.
    clearTimeout(announce);
    announce = setTimeout(() => {
      say(
        (status.dataset.shown || "")
          .replace("{count}", String(shown))
          .replace("{total}", String(rows.length)),
      );
    }, 400);
  };
  search.addEventListener("input", filter);

  list.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.check-in-toggle");
    if (!form) {
      return;
    }
    event.preventDefault();
    const row = form.closest(".check-in-row");
    const button = form.querySelector("button");
    button.disabled = true;
    let answer = null;
    try {
      // getAttribute: the form's field named "action" hides the form's own action property.
      const response = await fetch(form.getAttribute("action"), {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      answer = await response.json();
    } catch (error) {
      answer = null;
    }
    if (!answer) {
      button.disabled = false;
      say(status.dataset.failed || "");
      return;
    }
    say(answer.message);
    if (!answer.ok || !answer.row) {
      button.disabled = false;
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = answer.row.trim();
    const fresh = template.content.firstElementChild;
    fresh.hidden = row.hidden;
    row.replaceWith(fresh);
    if (summary && answer.summary) {
      summary.innerHTML = answer.summary;
    }
    // Focus stays on the person's button, now the other way round.
    const next = fresh.querySelector("button");
    if (next) {
      next.focus();
    }
  });
})();
