// The site navigation on narrow screens: a button ([data-nav-toggle], aria-controls naming the
// list) shows and hides the links, keeps aria-expanded true to what is shown, and Escape closes
// it. Without this script (or on wide screens) the links are simply always visible.
for (const button of document.querySelectorAll("[data-nav-toggle]")) {
  const list = document.getElementById(button.getAttribute("aria-controls"));
  const nav = button.closest("nav");
  if (!list || !nav) continue;
  const isOpen = () => button.getAttribute("aria-expanded") === "true";
  const setOpen = (open) => {
    button.setAttribute("aria-expanded", String(open));
    nav.toggleAttribute("data-nav-open", open);
  };
  setOpen(false);
  nav.setAttribute("data-nav-ready", "");
  button.addEventListener("click", () => setOpen(!isOpen()));
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen()) {
      setOpen(false);
      button.focus();
    }
  });
}
