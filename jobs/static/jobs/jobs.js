// The jobs page, live: each {"type": "job"} event updates (or adds) that job's row, and each
// {"type": "request"} event re-reads the recipe request panel; after a
// reconnect or a server resync the list is re-read from the API. Rows are clones of the page's
// <template id="job-template"> (the same markup the server renders), filled with textContent only.
import { connectPage } from "../core/connection.js";

const section = document.getElementById("jobs");
const ACTIVE = new Set(["queued", "running"]);
const RETRYABLE = new Set(["failed", "cancelled"]);
const REPORT_ROWS = 100; // as many per-item errors as the server renders (selectors.ERRORS_SHOWN)

function slot(row, name) {
  return row.querySelector(`[data-field="${name}"]`);
}

function setText(element, text) {
  element.textContent = text || "";
  element.hidden = !text;
}

function when(iso) {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : "";
}

function renderProgress(bar, job) {
  if (job.total !== null) {
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
  } else if (!ACTIVE.has(job.state)) {
    bar.max = 1;
    bar.value = job.state === "done" ? 1 : 0;
  } else {
    bar.removeAttribute("value"); // indeterminate: the total is not known yet
  }
}

function renderReport(row, errors) {
  const body = slot(row, "error-rows");
  body.replaceChildren(
    ...errors.slice(0, REPORT_ROWS).map((entry) => {
      const tr = document.createElement("tr");
      for (const text of [entry.item, entry.field, entry.message]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
}

async function fetchJob(id) {
  const response = await fetch(`/api/jobs/${Number(id)}`, { headers: { Accept: "application/json" } });
  return response.ok ? response.json() : null;
}

function render(row, job) {
  const staff = section.dataset.staff === "1";
  row.dataset.jobId = String(job.id);
  row.dataset.state = job.state;
  row.dataset.attempts = String(job.attempts);
  slot(row, "label").textContent = job.label;
  const owner = slot(row, "owner");
  owner.textContent = job.owner;
  owner.hidden = !staff;
  slot(row, "state").textContent = job.state;
  const created = slot(row, "created_at");
  created.dateTime = job.created_at;
  created.textContent = when(job.created_at);
  renderProgress(slot(row, "progress"), job);
  slot(row, "count").textContent = job.total !== null ? `${job.done} / ${job.total}` : `${job.done} so far`;
  setText(slot(row, "summary"), job.summary);
  setText(slot(row, "error"), job.error);
  slot(row, "errors").hidden = job.error_count === 0;
  slot(row, "error-count").textContent = String(job.error_count);
  if (job.errors) {
    renderReport(row, job.errors);
    row.dataset.report = String(job.error_count);
  } else if (job.error_count && !ACTIVE.has(job.state) && row.dataset.report !== String(job.error_count)) {
    row.dataset.report = String(job.error_count);
    fetchJob(job.id).then((detail) => detail && renderReport(row, detail.errors));
  }
  for (const form of row.querySelectorAll("form[data-action]")) {
    form.action = `${section.dataset.jobsUrl}${Number(job.id)}/${form.dataset.action}/`;
    form.hidden = !(form.dataset.action === "cancel" ? ACTIVE : RETRYABLE).has(job.state);
  }
}

function rowFor(id) {
  return document.querySelector(`#job-list li[data-job-id="${Number(id)}"]`);
}

function newRow() {
  return document.getElementById("job-template").content.firstElementChild.cloneNode(true);
}

function trim() {
  const list = document.getElementById("job-list");
  const limit = Number(section.dataset.pageSize);
  while (list.children.length > limit) list.lastElementChild.remove();
  document.getElementById("jobs-empty").hidden = list.children.length > 0;
}

const onlyJob = section ? Number(section.dataset.onlyJob || 0) : 0; // a page about one job (an import)

async function applyEvent(job) {
  if (onlyJob && job.id !== onlyJob) return;
  let row = rowFor(job.id);
  if (!row) {
    row = newRow();
    document.getElementById("job-list").prepend(row);
  } else if (!ACTIVE.has(row.dataset.state) && ACTIVE.has(job.state) && job.attempts <= Number(row.dataset.attempts)) {
    // A finished job said to be active again: a retry, or an older event arriving late. Ask.
    job = (await fetchJob(job.id)) || job;
  }
  render(row, job);
  trim();
  if (onlyJob && section.dataset.reloadWhenFinished && !ACTIVE.has(job.state)) {
    window.location.reload(); // the page shows what the finished job made
  }
}

async function reload() {
  if (onlyJob) {
    const job = await fetchJob(onlyJob);
    if (job) applyEvent(job);
    return;
  }
  const response = await fetch(section.dataset.apiUrl, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const page = await response.json();
  const list = document.getElementById("job-list");
  const rows = page.items.map((job) => {
    const row = rowFor(job.id) || newRow();
    render(row, job);
    return row;
  });
  list.replaceChildren(...rows);
  trim();
}

// The recipe request panel is rendered by the server (GET /requests/panel/): a "request" event
// re-reads it and swaps it in whole. Events arriving while a read is under way ask for one more.
let panelReading = null;
let panelAgain = false;

async function reloadRequests() {
  if (panelReading) {
    panelAgain = true;
    return;
  }
  const panel = document.getElementById("request-panel");
  if (!panel) return;
  panelReading = fetch(panel.dataset.panelUrl, { headers: { Accept: "text/html" } })
    .then(async (response) => {
      if (!response.ok) return;
      const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = parsed.getElementById("request-panel");
      if (fresh) panel.replaceWith(document.importNode(fresh, true));
    })
    .catch(() => {})
    .finally(() => {
      panelReading = null;
      if (panelAgain) {
        panelAgain = false;
        reloadRequests();
      }
    });
}

if (section) {
  connectPage(section, {
    onResync() {
      reload();
      reloadRequests();
    },
    onMessage(data) {
      if (data.type === "job" && data.job) applyEvent(data.job);
      else if (data.type === "request") reloadRequests();
    },
  });
}
