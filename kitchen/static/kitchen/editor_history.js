// The editor's History panel (kitchen/_editor_history.html): "Restore" posts its form (CSRF token,
// next=edit) and the page stays as it is. The restored recipe arrives through the shared document,
// as anyone's change does; the panel's list and the server's message are read from the editor page
// the restore answers with (parsed, never assigned as HTML). Without this module the form still works.
const panel = document.getElementById("editor-history");
const status = document.getElementById("editor-history-status");

async function restore(form) {
  const button = form.querySelector("button");
  button.disabled = true;
  status.textContent = "Restoring…";
  try {
    const response = await fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "text/html" } });
    if (!response.ok) {
      status.textContent = response.status === 403 ? "You may not restore versions of this recipe." : "The version could not be restored.";
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const told = [...page.querySelectorAll(".messages .message")].map((node) => node.textContent.trim());
    const fresh = page.getElementById("editor-history-list");
    if (fresh) document.getElementById("editor-history-list").replaceWith(document.importNode(fresh, true));
    status.textContent = told.join(" ") || "Restored.";
  } catch {
    status.textContent = "Could not reach the server: try again.";
  } finally {
    button.disabled = false;
  }
}

panel?.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-restore]");
  if (!form) return;
  event.preventDefault();
  restore(form);
});
