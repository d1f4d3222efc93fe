// The console's only script (CSP script-src 'self', no inline code): keeps the live jobs list fresh by
// polling /admin/jobs.json every two seconds. Text goes in through textContent, never as HTML.
"use strict";
(function () {
  const table = document.getElementById("jobs");
  if (!table) return;
  const cell = (row, text, cls) => {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  };
  function draw(jobs) {
    const holder = document.createElement("tbody");
    if (!jobs.length) {
      const row = holder.insertRow();
      const td = cell(row, table.dataset.empty || "");
      td.colSpan = 8;
    }
    for (const job of jobs) {
      const row = holder.insertRow();
      row.dataset.job = job.id;
      cell(row, job.id, "mono");
      cell(row, job.tool);
      cell(row, job.account_id);
      cell(row, job.status, "status " + job.status);
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = job.progress;
      bar.textContent = job.progress + "%";
      row.insertCell().appendChild(bar);
      cell(row, job.charged, "num");
      cell(row, job.created);
      cell(row, job.error_code);
    }
    table.replaceChild(holder, table.tBodies[0]);
  }
  async function poll() {
    try {
      const answer = await fetch(table.dataset.feed, { credentials: "same-origin", cache: "no-store" });
      if (answer.status === 401) { window.location.assign("/admin/login"); return; }
      if (answer.ok) {
        const data = await answer.json();
        draw(data.jobs);
        table.dataset.updated = String(Date.now());
      }
    } catch (err) { /* the server restarting: try again on the next tick */ }
    window.setTimeout(poll, 2000);
  }
  poll();
})();
