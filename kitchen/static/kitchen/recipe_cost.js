// A recipe page's cost, live: the recipe's socket (/ws/recipes/<id>/live/) sends a `cost` event
// when it opens, when a price of one of its ingredients is recorded and when its lines or
// servings change. After a reconnect or a server resync the page asks for the cost again
// ({"type": "cost"}): events sent meanwhile are lost. All text goes in with textContent.
import { connectPage } from "../core/connection.js";
import { formatMoney, formatUnitPrice } from "../core/format.js";

const table = document.getElementById("recipe-cost");

function flash(cell) {
  cell.classList.add("flash");
  setTimeout(() => cell.classList.remove("flash"), 1500);
}

function field(root, name) {
  return root.querySelector(`[data-field="${name}"]`);
}

// Sets a cell's text, flashing it only when the text changed (the first event repeats the page).
function setText(cell, text) {
  if (!cell || cell.textContent === text) return;
  cell.textContent = text;
  flash(cell);
}

function priceTitle(line, currency) {
  return line.price === null ? "" : `${formatUnitPrice(line.price)} ${currency}/${line.price_unit}, priced ${line.priced_at.slice(0, 10)}`;
}

function setCost(cell, line, currency) {
  if (line.cost !== null) {
    cell.title = priceTitle(line, currency);
    setText(cell, formatMoney(line.cost));
    return;
  }
  const problem = cell.querySelector("small");
  if (problem && problem.textContent === line.problem) return; // the same reason: nothing moved
  const tag = document.createElement("span");
  tag.className = "tag cant-cost";
  tag.title = line.problem;
  tag.textContent = "can't cost";
  const reason = document.createElement("small");
  reason.className = "muted";
  reason.textContent = line.problem;
  cell.title = "";
  cell.replaceChildren(tag, document.createElement("br"), reason);
  flash(cell);
}

function newRow(line) {
  const row = document.createElement("tr");
  row.dataset.lineId = String(line.id);
  for (const [name, className] of [["quantity", "num"], ["unit", ""], ["ingredient", ""], ["note", "muted"], ["cost", "num"]]) {
    const cell = document.createElement("td");
    cell.dataset.field = name;
    if (className) cell.className = className;
    row.append(cell);
  }
  return row;
}

function applyLines(lines, currency) {
  const body = table.tBodies[0];
  const ids = lines.map((line) => String(line.id));
  const same = body.rows.length === ids.length && [...body.rows].every((row, i) => row.dataset.lineId === ids[i]);
  if (!same) { // the lines were edited: draw them again
    if (lines.length === 0) {
      const row = document.createElement("tr");
      const cell = document.createElement("td");
      cell.colSpan = 5;
      cell.className = "muted";
      cell.textContent = "No ingredients yet.";
      row.append(cell);
      body.replaceChildren(row);
      return;
    }
    body.replaceChildren(...lines.map(newRow));
  }
  lines.forEach((line, i) => {
    const row = body.rows[i];
    setText(field(row, "quantity"), line.quantity);
    setText(field(row, "unit"), line.unit);
    setText(field(row, "ingredient"), line.ingredient);
    setText(field(row, "note"), line.note);
    setCost(field(row, "cost"), line, currency);
  });
}

function applyCost(cost) {
  applyLines(cost.lines, cost.currency);
  const foot = table.tFoot;
  setText(field(foot, "total_label"), cost.complete ? "Total" : "Total (incomplete)");
  setText(field(foot, "total"), `${formatMoney(cost.total)} ${cost.currency}`);
  setText(field(foot, "servings"), `Per serving (${cost.servings})`);
  setText(field(foot, "per_serving"), `${formatMoney(cost.per_serving)} ${cost.currency}`);
  const oldest = document.getElementById("recipe-cost-oldest");
  if (oldest) {
    oldest.hidden = !cost.oldest_price_at;
    setText(field(oldest, "oldest_price_at"), cost.oldest_price_at ? cost.oldest_price_at.slice(0, 10) : "");
  }
}

if (table) {
  const recipeId = Number(table.dataset.recipeId);
  connectPage(table, {
    onResync: (socket) => socket.send({ type: "cost" }),
    onMessage(data) {
      if (data && data.type === "cost" && data.recipe === recipeId) applyCost(data);
    },
  });
}
