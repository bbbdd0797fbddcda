// How money and unit prices read: the same rules as core/numbers.py (money_text, unit_price_text),
// on the Decimal strings the server sends, without floating point. A browser test compares the two.

function parse(text) {
  const match = /^\s*(-?)(\d*)(?:\.(\d*))?\s*$/.exec(String(text ?? ""));
  if (!match || (!match[2] && !match[3])) return null;
  return { negative: match[1] === "-", whole: match[2] || "0", fraction: match[3] || "" };
}

// Round half up (away from zero), as Decimal's ROUND_HALF_UP, to `places` decimals.
function rounded(number, places) {
  let scaled = BigInt(number.whole + number.fraction.padEnd(places, "0").slice(0, places));
  if ((number.fraction[places] ?? "0") >= "5") scaled += 1n;
  const digits = scaled.toString().padStart(places + 1, "0");
  const sign = number.negative ? "-" : "";
  return `${sign}${digits.slice(0, -places)}.${digits.slice(-places)}`;
}

/** "9.8" -> "9.80": an amount to the cent; "" for no value. */
export function formatMoney(text) {
  if (text === null || text === undefined || text === "") return "";
  const number = parse(text);
  return number ? rounded(number, 2) : String(text);
}

/** A price per unit: to the cent from 1 up, else up to four decimals and at least two. */
export function formatUnitPrice(text) {
  if (text === null || text === undefined || text === "") return "";
  const number = parse(text);
  if (!number) return String(text);
  if (BigInt(number.whole) >= 1n) return rounded(number, 2);
  const [whole, fraction] = rounded(number, 4).split(".");
  return `${whole}.${fraction.replace(/0+$/, "").padEnd(2, "0")}`;
}
