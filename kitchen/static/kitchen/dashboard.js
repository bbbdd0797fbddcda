// Live prices (the dashboard and ingredient pages): when the server says prices changed, update
// the changed ingredient rows at once and, where recipe costs are shown, re-read the (authorised)
// overview for them. After a reconnect or a server resync, everything is re-read from the
// overview (events sent meanwhile are lost). All text goes in with textContent.
import { connectPage } from "../core/connection.js";
import { formatMoney, formatUnitPrice } from "../core/format.js";

const config = document.getElementById("dashboard-config");

function setCell(row, field, text, tag = null) {
  const cell = row.querySelector(`[data-field="${field}"]`);
  if (cell) {
    cell.textContent = text;
    if (tag) {
      const span = document.createElement("span");
      span.className = "tag";
      span.title = tag.title;
      span.textContent = tag.text;
      cell.append(" ", span);
    }
    cell.classList.add("flash");
    setTimeout(() => cell.classList.remove("flash"), 1500);
  }
}

function applyIngredient(item) {
  const row = document.querySelector(`#ingredient-prices tr[data-ingredient-id="${Number(item.id)}"]`);
  if (!row) return;
  setCell(row, "price", item.price ? `${formatUnitPrice(item.price)} ${item.currency}/${item.unit}` : "—");
  setCell(row, "priced_at", item.priced_at ? item.priced_at.slice(0, 10) : "—");
}

async function readOverview() {
  if (!config.dataset.overviewUrl) return null;
  const response = await fetch(config.dataset.overviewUrl, { headers: { Accept: "application/json" } });
  return response.ok ? response.json() : null;
}

async function refreshCosts() {
  if (!document.getElementById("recipe-costs")) return;
  applyCosts(await readOverview());
}

async function refreshAll() {
  const overview = await readOverview();
  if (!overview) return;
  overview.ingredients.forEach(applyIngredient);
  applyCosts(overview);
}

function applyCosts(overview) {
  if (!overview) return;
  for (const recipe of overview.recipes) {
    const row = document.querySelector(`#recipe-costs tr[data-recipe-id="${Number(recipe.id)}"]`);
    if (!row) continue;
    const incomplete = recipe.cost.complete ? null : { text: "incomplete", title: "Some lines can't be costed" };
    setCell(row, "total", `${formatMoney(recipe.cost.total)} ${recipe.cost.currency}`, incomplete);
    setCell(row, "per_serving", formatMoney(recipe.cost.per_serving));
    setCell(row, "oldest_price_at", recipe.cost.oldest_price_at ? recipe.cost.oldest_price_at.slice(0, 10) : "—");
  }
}

if (config) {
  connectPage(config, {
    onResync: refreshAll,
    onMessage(data) {
      if (data.type === "prices") {
        data.ingredients.forEach(applyIngredient);
        refreshCosts();
      }
    },
  });
}
