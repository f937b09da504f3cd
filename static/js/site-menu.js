// The header's menu button, shown on narrow screens: it opens and closes the links (Bootstrap's
// .collapse and .show classes) and tells assistive technology which it is by aria-expanded.
// Escape closes the open menu and gives focus back to the button.
(() => {
  const toggler = document.querySelector(".site-header .navbar-toggler");
  const menu = toggler && document.getElementById(toggler.getAttribute("aria-controls"));
  if (!menu) {
    return;
  }
  const isOpen = () => toggler.getAttribute("aria-expanded") === "true";
  const setOpen = (open) => {
    toggler.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("show", open);
  };
  toggler.addEventListener("click", () => setOpen(!isOpen()));
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen() && toggler.offsetParent !== null) {
      setOpen(false);
      toggler.focus();
    }
  });
})();
