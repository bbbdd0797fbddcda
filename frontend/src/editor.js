// The co-editing page of a recipe (/recipes/<id>/edit/): one Yjs document shared with every chef
// who has the recipe open, through the server's /ws/recipes/<id> (the y-protocols sync, unmodified
// y-websocket). Bundled by esbuild into kitchen/static/kitchen/editor.bundle.js (npm run build).
//
// Everything the page needs comes from data-* attributes of #recipe-editor; no inline script. All
// text reaches the page through textContent and input values, never innerHTML.
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import { Compartment, EditorState } from "@codemirror/state";
import { EditorView, keymap, placeholder as placeholderExt } from "@codemirror/view";
import { generateKeyBetween } from "fractional-indexing";

const root = document.getElementById("recipe-editor");
const recipeId = root.dataset.recipeId;
const canEdit = root.dataset.canEdit === "true";
const units = JSON.parse(document.getElementById("editor-units").textContent);
const categories = JSON.parse(document.getElementById("editor-categories").textContent);

const doc = new Y.Doc();
const meta = doc.getMap("meta");
const nameText = doc.getText("name");
const descriptionText = doc.getText("description");
const lines = doc.getArray("lines");
const steps = doc.getArray("steps");

const scheme = window.location.protocol === "https:" ? "wss" : "ws";
const provider = new WebsocketProvider(`${scheme}://${window.location.host}/ws/recipes`, recipeId, doc, {
  disableBc: true, // every tab goes through the server, which checks each one's rights
});
const awareness = provider.awareness;
// Each chef undoes their own changes only: remote ones arrive with the provider as origin.
const undoManager = new Y.UndoManager([meta, nameText, descriptionText, lines, steps], { captureTimeout: 400 });

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function change(fn) {
  if (canEdit) doc.transact(fn);
}

// -- Text fields: CodeMirror bound to Y.Text (remote cursors and selections come with it) ------

const singleLine = EditorState.transactionFilter.of((tr) => (tr.newDoc.lines > 1 ? [] : tr));

function textEditor(parent, ytext, { label, multiline = true, hint = "" }) {
  const labelled = new Compartment();
  const attributes = (text) => EditorView.contentAttributes.of({ "aria-label": text, "aria-multiline": String(multiline) });
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: ytext.toString(),
      extensions: [
        keymap.of(yUndoManagerKeymap),
        yCollab(ytext, awareness, { undoManager }),
        EditorView.lineWrapping,
        EditorState.readOnly.of(!canEdit),
        EditorView.editable.of(canEdit),
        labelled.of(attributes(label)),
        placeholderExt(hint),
        multiline ? [] : singleLine,
      ],
    }),
  });
  view.brigadeLabel = label;
  view.relabel = (text) => {
    if (text === view.brigadeLabel) return;
    view.brigadeLabel = text;
    view.dispatch({ effects: labelled.reconfigure(attributes(text)) });
  };
  return view;
}

// What a client put where text belongs, as text (a hostile one may write a number or a plain string).
function plainText(value) {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return value instanceof Y.Text ? value.toString() : "";
}

// -- Order by position: fractional-indexing keys compared as plain strings, ties by id ---------

const byPosition = (a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function ordered(array) {
  return array
    .toArray()
    .filter((item) => item instanceof Y.Map)
    .map((item) => ({ item, id: String(item.get("id") ?? ""), pos: String(item.get("pos") ?? "") }))
    .sort(byPosition);
}

function keyBetween(before, after) {
  try {
    return generateKeyBetween(before, after);
  } catch {
    return generateKeyBetween(before, null); // out-of-order keys from somewhere: after the one before
  }
}

function moveItem(array, id, delta) {
  const items = ordered(array);
  const index = items.findIndex((entry) => entry.id === id);
  const target = index + delta;
  if (index < 0 || target < 0 || target >= items.length) return;
  const rest = items.filter((entry) => entry.id !== id);
  const before = rest[target - 1]?.pos ?? null;
  const after = rest[target]?.pos ?? null;
  change(() => items[index].item.set("pos", keyBetween(before, after))); // a move changes pos only
}

function moveItemTo(array, id, beforeId) {
  const rest = ordered(array).filter((entry) => entry.id !== id);
  const index = beforeId === null ? rest.length : rest.findIndex((entry) => entry.id === beforeId);
  const moving = ordered(array).find((entry) => entry.id === id);
  if (!moving || index < 0) return;
  change(() => moving.item.set("pos", keyBetween(rest[index - 1]?.pos ?? null, rest[index]?.pos ?? null)));
}

function appendItem(array, fields) {
  const items = ordered(array);
  const last = items.length ? items[items.length - 1].pos : null;
  const id = crypto.randomUUID();
  change(() => array.push([new Y.Map(Object.entries({ ...fields, id, pos: keyBetween(last, null) }))]));
  return id;
}

function removeItem(array, id) {
  change(() => {
    const items = array.toArray();
    for (let i = items.length - 1; i >= 0; i -= 1) {
      if (items[i] instanceof Y.Map && String(items[i].get("id")) === id) array.delete(i, 1);
    }
  });
}

// Rows keyed by item id, made once and kept in the document's order: focus and caret stay. `build`
// makes a row, `stale` says one must be made again, `drop` releases what a row holds, `number` tells a
// row its place (1, 2, …) for its accessible labels.
function syncRows(container, rows, entries, { build, stale = () => false, drop = () => {}, number = () => {} }) {
  const seen = new Set();
  for (const entry of entries) {
    seen.add(entry.id);
    let row = rows.get(entry.id);
    if (row && stale(row, entry)) {
      drop(row);
      row.remove();
      row = undefined;
    }
    if (!row) {
      row = build(entry);
      rows.set(entry.id, row);
    }
    row._entry = entry;
  }
  for (const [id, row] of rows) {
    if (!seen.has(id)) {
      drop(row);
      row.remove();
      rows.delete(id);
    }
  }
  // Moving a node blurs what it holds: a keyboard user who moved a row keeps their place.
  const focused = container.contains(document.activeElement) ? document.activeElement : null;
  let previous = null;
  entries.forEach((entry, index) => {
    const row = rows.get(entry.id);
    const next = previous ? previous.nextSibling : container.firstChild;
    if (row !== next) container.insertBefore(row, next);
    number(row, index + 1);
    previous = row;
  });
  if (focused && focused.isConnected && document.activeElement !== focused) focused.focus();
}

function setLabel(node, label) {
  if (node && node.getAttribute("aria-label") !== label) {
    node.setAttribute("aria-label", label);
    if (node.tagName === "BUTTON") node.title = label;
  }
}

function dragAndDrop(row, array, id, container) {
  const handle = row.querySelector(".drag-handle");
  if (!handle || !canEdit) return;
  handle.draggable = true;
  handle.addEventListener("dragstart", (event) => {
    event.dataTransfer.setData("text/x-brigade-item", id);
    event.dataTransfer.effectAllowed = "move";
    row.classList.add("dragging");
  });
  handle.addEventListener("dragend", () => row.classList.remove("dragging"));
  row.addEventListener("dragover", (event) => {
    if (event.dataTransfer.types.includes("text/x-brigade-item")) event.preventDefault();
  });
  row.addEventListener("drop", (event) => {
    const moving = event.dataTransfer.getData("text/x-brigade-item");
    if (!moving || moving === id) return;
    event.preventDefault();
    const rect = row.getBoundingClientRect();
    const below = event.clientY > rect.top + rect.height / 2;
    const siblings = [...container.children].map((node) => node.dataset.id);
    const beforeId = below ? siblings[siblings.indexOf(id) + 1] ?? null : id;
    moveItemTo(array, moving, beforeId === moving ? null : beforeId);
  });
}

function moveButtons(array, id) {
  const button = (move, onclick, text) => el("button", { type: "button", class: "icon secondary outline", dataset: { move }, onclick, disabled: !canEdit }, text);
  return el(
    "span",
    { class: "move-buttons" },
    button("up", () => moveItem(array, id, -1), "↑"),
    button("down", () => moveItem(array, id, 1), "↓"),
    button("remove", () => removeItem(array, id), "✕"),
  );
}

// "Move line 2 up", "Quantity, line 2", "Step 3": every control says which row it acts on.
function numberButtons(row, noun, n) {
  setLabel(row.querySelector('[data-move="up"]'), `Move ${noun} ${n} up`);
  setLabel(row.querySelector('[data-move="down"]'), `Move ${noun} ${n} down`);
  setLabel(row.querySelector('[data-move="remove"]'), `Remove ${noun} ${n}`);
}

// -- Ingredient lines: plain values (the last change of a field wins) --------------------------

const linesList = document.getElementById("editor-lines");
const lineRows = new Map();

function lineInput(entry, key, attrs) {
  const input = el("input", { ...attrs, dataset: { key, label: attrs["aria-label"] }, disabled: !canEdit });
  input.value = String(entry.item.get(key) ?? "");
  input.addEventListener("input", () => change(() => entry.item.set(key, input.value)));
  return input;
}

function lineRow(entry) {
  const { id } = entry;
  const unitSelect = el("select", { "aria-label": "Unit", dataset: { key: "unit", label: "Unit" }, disabled: !canEdit });
  unitSelect.append(el("option", { value: "" }, "unit…"), ...units.map(([value, label]) => el("option", { value }, label)));
  unitSelect.value = String(entry.item.get("unit") ?? "");
  unitSelect.addEventListener("change", () => change(() => entry.item.set("unit", unitSelect.value)));
  const row = el(
    "li",
    { class: "editor-line", dataset: { id } },
    el("span", { class: "drag-handle", title: "Drag to reorder", "aria-hidden": "true" }, "⠿"),
    lineInput(entry, "quantity", { "aria-label": "Quantity", inputmode: "decimal", class: "quantity", placeholder: "Qty" }),
    unitSelect,
    lineInput(entry, "ingredient", { "aria-label": "Ingredient", list: "ingredient-names", class: "ingredient", placeholder: "Ingredient" }),
    lineInput(entry, "note", { "aria-label": "Note", class: "note", placeholder: "Note" }),
    moveButtons(lines, id),
    el("small", { class: "field-problem", role: "status" }),
  );
  dragAndDrop(row, lines, id, linesList);
  return row;
}

function numberLine(row, n) {
  for (const input of row.querySelectorAll("[data-key]")) setLabel(input, `${input.dataset.label}, line ${n}`);
  numberButtons(row, "line", n);
}

function renderLines() {
  const entries = ordered(lines);
  syncRows(linesList, lineRows, entries, { build: lineRow, number: numberLine });
  for (const entry of entries) {
    for (const input of lineRows.get(entry.id).querySelectorAll("[data-key]")) {
      const value = plainText(entry.item.get(input.dataset.key) ?? "");
      if (input !== document.activeElement && input.value !== value) input.value = value;
    }
  }
  document.getElementById("editor-lines-empty").hidden = entries.length > 0;
  showProblems();
}

// -- Steps: each step's text is a Y.Text of its own ---------------------------------------------
// A client may have put something else there (a plain string, a number): a page that may write
// repairs it into a Y.Text; a read-only page cannot, and shows it as plain text.

const stepsList = document.getElementById("editor-steps");
const stepRows = new Map();

function stepRow(entry) {
  const { id } = entry;
  const box = el("div", { class: "step-text" });
  const row = el(
    "li",
    { class: "editor-step", dataset: { id } },
    el("span", { class: "drag-handle", title: "Drag to reorder", "aria-hidden": "true" }, "⠿"),
    box,
    moveButtons(steps, id),
    el("small", { class: "field-problem", role: "status" }),
  );
  let text = entry.item.get("text");
  if (!(text instanceof Y.Text) && canEdit) {
    text = new Y.Text(plainText(text));
    change(() => entry.item.set("text", text));
  }
  row._text = entry.item.get("text"); // made again when this changes (replaced by a client)
  if (text instanceof Y.Text) {
    row._view = textEditor(box, text, { label: "Step", hint: "Describe this step" });
  } else {
    row._view = null;
    box.append(el("div", { class: "plain-text", role: "textbox", "aria-readonly": "true", "aria-multiline": "true", "aria-label": "Step" }, plainText(text)));
  }
  dragAndDrop(row, steps, id, stepsList);
  return row;
}

function numberStep(row, n) {
  if (row._view) row._view.relabel(`Step ${n}`);
  else setLabel(row.querySelector(".plain-text"), `Step ${n}`);
  numberButtons(row, "step", n);
}

function renderSteps() {
  const entries = ordered(steps);
  syncRows(stepsList, stepRows, entries, {
    build: stepRow,
    stale: (row, entry) => row._text !== entry.item.get("text"),
    drop: (row) => row._view?.destroy(),
    number: numberStep,
  });
  document.getElementById("editor-steps-empty").hidden = entries.length > 0;
  showProblems();
}

// -- Meta: servings, preparation time, difficulty, categories, status --------------------------

const metaInputs = [...root.querySelectorAll("[data-meta]")];
for (const input of metaInputs) {
  input.disabled = !canEdit;
  input.addEventListener("input", () => {
    const key = input.dataset.meta;
    const value = input.type === "number" ? (input.value === "" ? null : Number(input.value)) : input.value;
    change(() => meta.set(key, value));
  });
}

const categoryBox = document.getElementById("editor-categories-list");
for (const [id, label] of categories) {
  const box = el("input", { type: "checkbox", value: String(id), disabled: !canEdit });
  box.addEventListener("change", () =>
    change(() => {
      let chosen = meta.get("categories");
      if (!(chosen instanceof Y.Map)) {
        chosen = new Y.Map();
        meta.set("categories", chosen);
      }
      if (box.checked) chosen.set(String(id), true);
      else chosen.delete(String(id));
    }),
  );
  categoryBox.append(el("label", { class: "category-choice" }, box, ` ${label}`));
}

function renderMeta() {
  for (const input of metaInputs) {
    const value = meta.get(input.dataset.meta);
    const text = value === null || value === undefined ? "" : String(value);
    if (input !== document.activeElement && input.value !== text) input.value = text;
  }
  const chosen = meta.get("categories");
  for (const box of categoryBox.querySelectorAll("input")) {
    box.checked = chosen instanceof Y.Map && chosen.get(box.value) === true;
  }
  const status = String(meta.get("status") ?? "");
  document.getElementById("editor-status").textContent = status === "completed" ? "Completed" : "Draft";
  const complete = document.getElementById("editor-complete");
  if (complete) complete.hidden = status === "completed";
}

// -- Problems the server reported at its last write-back (document_report) ----------------------

let report = { invalid: {}, unknown_ingredients: [] };

function showProblems() {
  for (const node of root.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  for (const node of root.querySelectorAll(".field-problem")) node.textContent = "";
  for (const [key, message] of Object.entries(report.invalid || {})) {
    const line = /^line:(.+)\.(\w+)$/.exec(key);
    const step = /^step:(.+)\.text$/.exec(key);
    let target = null;
    let note = null;
    if (line) {
      const row = lineRows.get(line[1]);
      target = row?.querySelector(`[data-key="${line[2]}"]`);
      note = row?.querySelector(".field-problem");
    } else if (step) {
      const row = stepRows.get(step[1]);
      target = row?.querySelector(".cm-content, .plain-text");
      note = row?.querySelector(".field-problem");
    } else {
      target = root.querySelector(`[data-problem-for="${key}"]`);
      note = root.querySelector(`[data-problem-note="${key}"]`);
    }
    if (target) target.setAttribute("aria-invalid", "true");
    if (note) note.textContent = note.textContent ? `${note.textContent} ${message}` : message;
  }
  for (const id of report.unknown_ingredients || []) {
    const row = lineRows.get(id);
    if (!row) continue;
    const input = row.querySelector('[data-key="ingredient"]');
    input.setAttribute("aria-invalid", "true");
    const note = row.querySelector(".field-problem");
    note.textContent = `${note.textContent} No ingredient is called “${input.value}”.`.trim();
    const name = plainText(row._entry.item.get("ingredient")).trim();
    if (!ingredientForm || !name) continue;
    const told = creating.get(`${id} ${name}`);
    if (told) note.append(" ", told.text);
    if (!told || told.again) {
      const unit = plainText(row._entry.item.get("unit"));
      note.append(" ", el("button", { type: "button", class: "link-button", dataset: { create: id }, onclick: () => createIngredient(id, name, unit) }, `Create “${name}”`));
    }
  }
}

// -- Creating the ingredient a line names (any chef who edits): the server writes the document
// back again at once, and its report no longer lists the line.

const ingredientForm = canEdit ? document.getElementById("editor-ingredient-form") : null;
const creating = new Map(); // "<line id> <name>" -> { text, again }: what the chef was told, whether to offer it again
const unitValues = new Set(units.map(([value]) => value));

async function createIngredient(lineId, name, unit) {
  const body = new FormData(ingredientForm); // its CSRF token
  body.set("name", name);
  body.set("unit", unitValues.has(unit) ? unit : "");
  body.set("recipe", recipeId);
  const key = `${lineId} ${name}`; // a line renamed since is offered its own ingredient
  creating.set(key, { text: `Creating “${name}”…`, again: false });
  showProblems();
  try {
    const response = await fetch(ingredientForm.action, { method: "POST", body, headers: { Accept: "application/json" } });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      document.getElementById("ingredient-names").append(el("option", { value: answer.name }));
      creating.set(key, { text: `Created “${answer.name}”.`, again: false });
    } else {
      creating.set(key, { text: answer.error || "The ingredient could not be created.", again: true });
    }
  } catch {
    creating.set(key, { text: "Could not reach the server: try again.", again: true });
  }
  showProblems();
}

document.addEventListener("brigade:document-report", (event) => {
  report = event.detail;
  showProblems();
});

// -- Presence: who is here, in the colour the server gave them ---------------------------------

const presenceList = document.getElementById("editor-presence");

let presenceShown = null;

function renderPresence() {
  const people = new Map();
  for (const [clientId, state] of awareness.getStates()) {
    const user = state?.user;
    if (!user || typeof user.name !== "string") continue;
    const key = String(user.id ?? user.name);
    if (!people.has(key)) people.set(key, { name: user.name, color: String(user.color ?? "#888"), me: clientId === doc.clientID });
  }
  // Awareness changes with every caret move: the list (a live region) changes only with who is here.
  const shown = JSON.stringify([...people.entries()]);
  if (shown === presenceShown) return;
  presenceShown = shown;
  presenceList.replaceChildren(
    ...[...people.values()].map((person) => {
      const dot = el("span", { class: "presence-dot", "aria-hidden": "true" });
      dot.style.background = /^#[0-9a-f]{6}$/i.test(person.color) ? person.color : "#888";
      return el("li", { class: "presence-person" }, dot, person.me ? `${person.name} (you)` : person.name);
    }),
  );
}

awareness.on("change", renderPresence);
awareness.setLocalState({}); // the server fills in who we are (name and colour) from the session

// -- Connection state: connected, reconnecting, edits not yet sent, refused --------------------

const stateBadge = document.getElementById("editor-connection");
let unsent = false;
let refused = null;

function renderConnection() {
  let state = "connecting";
  let label = "Connecting…";
  if (refused !== null) {
    state = "refused";
    label = refused;
  } else if (provider.wsconnected && provider.synced) {
    state = "open";
    label = "Connected — changes are saved";
  } else if (unsent) {
    state = "closed";
    label = "Reconnecting — your edits will be sent when the connection is back";
  } else if (!provider.wsconnected) {
    state = "closed";
    label = "Reconnecting…";
  }
  stateBadge.dataset.state = state;
  stateBadge.textContent = label;
  root.dataset.connection = state;
}

doc.on("update", (update, origin) => {
  if (origin !== provider && !(provider.wsconnected && provider.synced)) {
    unsent = true;
    renderConnection();
  }
});
provider.on("status", renderConnection);
provider.on("sync", (synced) => {
  if (synced) unsent = false;
  renderConnection();
});
provider.on("connection-close", (event) => {
  const code = event?.code ?? 0;
  if (code >= 4400 && code < 4500) {
    refused = {
      4401: "Signed out — sign in again to edit",
      4403: "You can no longer edit this recipe",
      4404: "This recipe was deleted",
    }[code] || "The server refused this page's connection";
    provider.disconnect();
  }
  renderConnection();
});

// -- Undo and redo of one's own changes ---------------------------------------------------------

const undoButton = document.getElementById("editor-undo");
const redoButton = document.getElementById("editor-redo");
function renderUndo() {
  undoButton.disabled = !canEdit || undoManager.undoStack.length === 0;
  redoButton.disabled = !canEdit || undoManager.redoStack.length === 0;
}
undoButton.addEventListener("click", () => undoManager.undo());
redoButton.addEventListener("click", () => undoManager.redo());
undoManager.on("stack-item-added", renderUndo);
undoManager.on("stack-item-popped", renderUndo);
root.addEventListener("keydown", (event) => {
  // In the plain inputs (lines, meta) the keys undo the document, not the input's own history.
  if (!(event.ctrlKey || event.metaKey) || event.target.closest(".cm-editor")) return;
  const key = event.key.toLowerCase();
  if (key === "z" && !event.shiftKey) undoManager.undo();
  else if ((key === "z" && event.shiftKey) || key === "y") undoManager.redo();
  else return;
  event.preventDefault();
});

// -- Wire it up --------------------------------------------------------------------------------

textEditor(document.getElementById("editor-name"), nameText, { label: "Recipe name", multiline: false, hint: "Recipe name" });
textEditor(document.getElementById("editor-description"), descriptionText, { label: "Description", hint: "What is this dish?" });
document.getElementById("editor-add-line").addEventListener("click", () => {
  const id = appendItem(lines, { ingredient: "", quantity: "", unit: "", note: "" });
  renderLines();
  lineRows.get(id)?.querySelector('[data-key="quantity"]')?.focus();
});
document.getElementById("editor-add-step").addEventListener("click", () => {
  const id = appendItem(steps, { text: new Y.Text("") });
  renderSteps();
  stepRows.get(id)?._view?.focus();
});
for (const button of root.querySelectorAll(".editor-add")) button.disabled = !canEdit;

lines.observeDeep(renderLines);
steps.observe(renderSteps);
steps.observeDeep((events) => {
  if (events.some((event) => event.target instanceof Y.Map)) renderSteps(); // a step moved
});
meta.observeDeep(renderMeta);
renderLines();
renderSteps();
renderMeta();
renderPresence();
renderConnection();
renderUndo();
window.brigadeEditor = { doc, provider, undoManager }; // for the browser tests and the curious
