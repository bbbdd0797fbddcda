// The editor page's JSON socket (/ws/recipes/<id>/live/): the cost after each write-back and each
// price change, and what the last write-back could not take (document_report), handed to the
// editor bundle as a "brigade:document-report" event. Text goes in with textContent only.
import { connectPage } from "../core/connection.js";
import { formatMoney } from "../core/format.js";

const panel = document.getElementById("editor-cost");
const field = (name) => panel.querySelector(`[data-field="${name}"]`);

function showCost(event) {
  const currency = event.currency;
  field("total").textContent = `${formatMoney(event.total)} ${currency}`;
  field("per_serving").textContent = `${formatMoney(event.per_serving)} ${currency}`;
  field("prices").textContent = event.oldest_price_at ? `Oldest price used: ${event.oldest_price_at.slice(0, 10)}` : "";
  const uncosted = (event.lines || []).filter((line) => line.cost === null);
  field("uncosted").replaceChildren(
    ...uncosted.map((line) => {
      const item = document.createElement("li");
      item.textContent = `${line.ingredient}: ${line.problem}`;
      return item;
    }),
  );
  panel.classList.add("flash");
  setTimeout(() => panel.classList.remove("flash"), 1200);
}

connectPage(panel, {
  onMessage(event) {
    if (event.type === "cost") showCost(event);
    else if (event.type === "document_report") {
      document.dispatchEvent(new CustomEvent("brigade:document-report", { detail: event }));
    }
  },
  onResync(handle) {
    handle.send({ type: "cost" });
  },
});
