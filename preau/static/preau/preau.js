// The menu button shows and hides the primary navigation on narrow screens. Without
// JavaScript the navigation is simply always shown.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".menu-toggle");
  const menu = document.getElementById("primary-menu");
  if (toggle && menu) {
    document.documentElement.classList.add("js");
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
    });
  }
  // Escape closes an open dropdown and gives the focus back to its summary.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.dropdown[open]").forEach((details) => {
      details.removeAttribute("open");
      details.querySelector("summary").focus();
    });
  });
});

// A timetable's week or day replaced by htmx: the focus goes to its new heading, so
// that a screen reader announces the period reached and the keyboard carries on there.
document.addEventListener("htmx:afterSettle", () => {
  const heading = document.querySelector("[data-autofocus]");
  if (heading) {
    heading.removeAttribute("data-autofocus");
    heading.focus();
  }
});
