// A page made to be printed shows its print button only where a script can press it; without
// JavaScript the page says to use the browser's print function.
(() => {
  for (const button of document.querySelectorAll("[data-print-button]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
})();
