// The phone menu: on a narrow screen the navigation folds behind one "Menu" button. Loaded in <head>
// (not deferred) so the page is styled for it before the first paint; without JavaScript the
// navigation simply stays unfolded.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".menu-toggle");
  if (!button) return;
  const topbar = button.closest(".topbar");
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    topbar.classList.toggle("open", open);
  });
});
