// The Expenses page, live: every open tab of the user hears each change ({"type": "expense.*"},
// "alert", "alert.cleared", "limits.changed") and redraws the list, the totals, the gauges and the
// chart from the event (the server computes the month's figures and the chart's geometry). After a
// reconnect, the month is read again ({"type": "month"}). With the socket open, adding, editing and
// deleting go over it; without, the forms post as usual. Text goes in with textContent only.
import { connectPage } from "../core/connection.js";

const section = document.getElementById("expenses");
const month = section.dataset.month;
const rows = document.getElementById("expense-rows");
const form = document.getElementById("expense-form");
const alerts = document.getElementById("expense-alerts");
const SVG = "http://www.w3.org/2000/svg";
const pending = new Map(); // client_id -> { kind, row? }
let counter = 0;

const slot = (root, name) => root.querySelector(`[data-field="${name}"]`);
const clone = (id) => document.getElementById(id).content.firstElementChild.cloneNode(true);
const nextId = () => `c${Date.now().toString(36)}${(counter += 1)}`;

function setText(root, name, text) {
  const el = slot(root, name);
  if (el) el.textContent = text == null ? "" : String(text);
}

// -- rows ----------------------------------------------------------------------------------------

function fillRow(row, expense) {
  row.dataset.expenseId = expense.id;
  row.dataset.date = expense.date;
  setText(row, "date", expense.date);
  const category = slot(row, "category");
  category.replaceChildren();
  if (expense.category) category.textContent = expense.category.name;
  else {
    const none = document.createElement("span");
    none.className = "muted";
    none.textContent = "—";
    category.append(none);
  }
  category.dataset.categoryId = expense.category ? expense.category.id : "";
  setText(row, "description", expense.description);
  setText(row, "amount", expense.amount);
  row.querySelector('[data-action="edit"]').href = `/expenses/${expense.id}/edit/`;
  row.querySelector('[data-action="delete"]').action = `/expenses/${expense.id}/delete/`;
  row.expense = expense;
  return row;
}

function rowFor(id) {
  return rows.querySelector(`tr[data-expense-id="${CSS.escape(String(id))}"]`);
}

function placeRow(row, expense) {
  // Newest first: by date, then by id (as the server lists them).
  const after = [...rows.children].find((other) => {
    if (other === row) return false;
    const date = other.dataset.date || slot(other, "date")?.textContent || "";
    const id = Number(other.dataset.expenseId);
    return date < expense.date || (date === expense.date && id < expense.id);
  });
  rows.insertBefore(row, after || null);
}

let total = Number(document.getElementById("expense-count").textContent) || 0;

function upsertRow(expense) {
  let row = rowFor(expense.id);
  if (expense.month !== month) {
    if (row) { row.remove(); total -= 1; }
    return;
  }
  if (!row) total += 1;
  if (!row || row.classList.contains("editing")) {
    const fresh = fillRow(clone("expense-row-template"), expense);
    if (row) row.replaceWith(fresh);
    row = fresh;
  } else fillRow(row, expense);
  placeRow(row, expense);
}

function removeRow(id) {
  const row = rowFor(id);
  if (row) { row.remove(); total -= 1; }
}

function renderRows(expenses) {
  rows.replaceChildren(...expenses.map((expense) => fillRow(clone("expense-row-template"), expense)));
}

function countRows() {
  document.getElementById("expense-count").textContent = String(Math.max(total, rows.children.length));
  document.getElementById("expenses-empty").hidden = rows.children.length > 0;
}

// -- totals, gauges, chart ------------------------------------------------------------------------

function fillGauge(root, gauge) {
  root.dataset.level = gauge.level || "";
  setText(root, "name", gauge.name);
  setText(root, "total", gauge.total);
  setText(root, "limit", gauge.limit);
  setText(root, "percent", gauge.percent);
  slot(root, "of").hidden = !gauge.limit;
  const bar = slot(root, "bar");
  bar.hidden = !gauge.limit;
  bar.max = gauge.limit ? Number(gauge.limit) : 1;
  bar.value = gauge.limit ? Math.min(Number(gauge.total), Number(gauge.limit)) : 0;
}

function svg(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

// The chart as the server drew it: its geometry comes with each event.
function renderChart(chart) {
  const figure = document.getElementById("spend-chart");
  figure.setAttribute("viewBox", `0 0 ${chart.width} ${chart.height}`);
  figure.replaceChildren(
    svg("line", { class: "baseline", x1: 0, x2: chart.width, y1: chart.baseline, y2: chart.baseline }),
    ...chart.bars.map((bar) => {
      const rect = svg("rect", { x: bar.x, y: bar.y, width: bar.width, height: bar.height });
      rect.append(svg("title", {}, `Day ${bar.day}: ${bar.amount}`));
      return rect;
    }),
    ...chart.ticks.map((tick) => svg("text", { x: tick.x, y: tick.y }, String(tick.day))),
  );
  setText(document.querySelector(".spend-chart"), "high", chart.high);
}

function renderSummary(summary) {
  if (!summary || summary.month !== month) return;
  fillGauge(document.getElementById("month-total"), summary);
  const gauges = document.getElementById("category-gauges");
  gauges.replaceChildren(
    ...summary.categories.map((gauge) => {
      const item = clone("gauge-template");
      item.dataset.categoryId = gauge.id ?? "";
      fillGauge(item, gauge);
      return item;
    }),
  );
  renderChart(summary.chart);
}

// -- alerts ---------------------------------------------------------------------------------------

// One alert per limit and month is shown: its highest level ("exceeded" replaces the warning).
const alertKey = (alert) => `${alert.month}/${alert.category ? alert.category.id : "all"}`;

function showAlert(alert) {
  for (const other of alerts.querySelectorAll(`[data-alert-key="${CSS.escape(alertKey(alert))}"]`)) {
    if (other.dataset.alertId !== String(alert.id)) other.remove();
  }
  let item = alerts.querySelector(`[data-alert-id="${CSS.escape(String(alert.id))}"]`);
  if (!item) {
    item = clone("alert-template");
    item.dataset.alertId = alert.id;
    alerts.prepend(item);
  }
  item.dataset.alertKey = alertKey(alert);
  item.className = `alert alert-${alert.level}`;
  item.textContent = alert.message;
}

function clearAlert(alert) {
  const item = alerts.querySelector(`[data-alert-id="${CSS.escape(String(alert.id))}"]`);
  if (item) item.remove();
  // A lower level may still hold (back under 100% but over 80%): the month's own list says which.
  if (alert.month === month) readMonth(socket);
}

// -- the add form and inline editing ------------------------------------------------------------------

function fieldError(root, field, message) {
  for (const el of root.querySelectorAll("[data-error-for]")) {
    const mine = el.dataset.errorFor === field;
    el.hidden = !mine;
    el.textContent = mine ? message : "";
    const input = root.querySelector(`[name="${el.dataset.errorFor}"]`);
    if (input) input.toggleAttribute("aria-invalid", mine);
  }
}

function formValues(root) {
  const value = (name) => root.querySelector(`[name="${name}"]`).value;
  const category = value("category");
  return { amount: value("amount"), date: value("date"), description: value("description"),
    category: category ? Number(category) : null };
}

function categoryOptions(selected) {
  return [...form.querySelector('select[name="category"]').options].map((option) => {
    const copy = new Option(option.text, option.value);
    copy.selected = option.value === String(selected ?? "");
    return copy;
  });
}

function startEdit(row) {
  const expense = row.expense || {
    id: Number(row.dataset.expenseId), date: slot(row, "date").textContent.trim(),
    description: slot(row, "description").textContent, amount: slot(row, "amount").textContent.trim(),
    category: null,
  };
  const editor = clone("edit-row-template");
  editor.dataset.expenseId = expense.id;
  editor.querySelector('[name="date"]').value = expense.date;
  editor.querySelector('[name="amount"]').value = expense.amount;
  editor.querySelector('[name="description"]').value = expense.description;
  editor.querySelector('[name="category"]').append(...categoryOptions(expense.category && expense.category.id));
  editor.original = row;
  row.replaceWith(editor);
  editor.querySelector('[name="amount"]').focus();
}

rows.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (!button || !socket.connected) return; // without the socket, links and forms work as pages
  const row = button.closest("tr");
  const action = button.dataset.action;
  if (action === "edit") {
    event.preventDefault();
    startEdit(row);
  } else if (action === "cancel") {
    row.replaceWith(row.original);
  } else if (action === "save") {
    const client_id = nextId();
    pending.set(client_id, { kind: "update", row });
    const error = slot(row, "error");
    error.hidden = true;
    socket.send({ type: "expense.update", client_id, id: Number(row.dataset.expenseId), ...formValues(row) });
  }
});

rows.addEventListener("submit", (event) => {
  if (!socket.connected) return;
  event.preventDefault();
  const row = event.target.closest("tr");
  const description = slot(row, "description").textContent || "this expense";
  if (!window.confirm(`Delete ${description} (${slot(row, "amount").textContent})?`)) return;
  const client_id = nextId();
  pending.set(client_id, { kind: "delete", row });
  socket.send({ type: "expense.delete", client_id, id: Number(row.dataset.expenseId) });
});

rows.addEventListener("keydown", (event) => {
  const row = event.target.closest("tr.editing");
  if (!row) return;
  if (event.key === "Enter") { event.preventDefault(); row.querySelector('[data-action="save"]').click(); }
  if (event.key === "Escape") row.replaceWith(row.original);
});

form.addEventListener("submit", (event) => {
  if (!socket.connected) return; // the page's POST does the same through the same service
  event.preventDefault();
  const client_id = nextId();
  pending.set(client_id, { kind: "add" });
  form.querySelector('button[type="submit"]').disabled = true;
  socket.send({ type: "expense.add", client_id, ...formValues(form) });
});

function acknowledged(message) {
  const request = pending.get(message.client_id);
  pending.delete(message.client_id);
  if (!request) return;
  if (request.kind === "add") {
    form.querySelector('button[type="submit"]').disabled = false;
    fieldError(form, null, "");
    form.querySelector('[name="amount"]').value = "";
    form.querySelector('[name="description"]').value = "";
    form.querySelector('[name="amount"]').focus();
  }
  if (message.expense) upsertRow(message.expense);
  if (message.deleted) removeRow(message.deleted);
  countRows();
}

function refused(message) {
  const request = pending.get(message.client_id);
  pending.delete(message.client_id);
  if (!request) return;
  if (request.kind === "add") {
    form.querySelector('button[type="submit"]').disabled = false;
    fieldError(form, message.field, message.message);
  } else if (request.row && request.row.isConnected) {
    const error = slot(request.row, "error");
    if (error) { error.hidden = false; error.textContent = message.message; }
    else window.alert(message.message);
  }
}

// -- the socket -------------------------------------------------------------------------------

function readMonth(handle) {
  handle.send({ type: "month", month });
}

function onMessage(message) {
  switch (message.type) {
    case "month":
      if (message.month !== month) return;
      renderRows(message.expenses);
      renderSummary(message);
      alerts.replaceChildren();
      for (const alert of message.alerts) showAlert(alert);
      total = message.count;
      countRows();
      return;
    case "expense.created":
    case "expense.updated":
      upsertRow(message.expense);
      break;
    case "expense.deleted":
      removeRow(message.expense.id);
      break;
    case "expenses.imported":
    case "limits.changed":
      readMonth(socket); // categories or many rows changed: read the month again
      return;
    case "alert":
      showAlert(message.alert);
      return;
    case "alert.cleared":
      clearAlert(message.alert);
      return;
    case "ack":
      acknowledged(message);
      return;
    case "error":
      refused(message);
      return;
    default:
      return;
  }
  if (message.months) renderSummary(message.months[month]);
  countRows();
}

const socket = connectPage(section, {
  onOpen: readMonth,
  onResync: readMonth,
  onMessage,
  onClose: () => {
    form.querySelector('button[type="submit"]').disabled = false;
    pending.clear();
  },
});
section.dataset.live = "1";
