/* Accessible names for what the admin's own scripts build without one. Loaded on every admin
   page (templates/admin/base_site.html); it runs again whenever the page changes, since select2
   boxes, the two-box selectors and new inline rows are made after the page has loaded.

   - A select2 box (autocomplete_fields) is named by the label of the select it replaces, or by
     that select's aria-label in a tabular inline row; select2 names it by its current value
     only, which is nothing while it is empty.
   - The filter icons of the two-box selectors (filter_horizontal) are bare spans with an
     aria-label, which ARIA does not allow: they are made images, whose name is that label.
   - The "remove all" cross of a multiple select2 box is a span among the list items of the
     chosen values; it is for the mouse only (the keyboard removes values one by one), so it is
     hidden from assistive technology rather than read as a stray list entry. */
"use strict";
(function () {
  function labelIdFor(select) {
    const label = select.id && document.querySelector('label[for="' + CSS.escape(select.id) + '"]');
    if (!label) {
      return null;
    }
    if (!label.id) {
      label.id = select.id + "-label";
    }
    return label.id;
  }

  function nameSelect2Box(select) {
    const container = select.nextElementSibling;
    if (!container || !container.classList.contains("select2")) {
      return;
    }
    const labelId = labelIdFor(select);
    const ownName = select.getAttribute("aria-label");
    if (!labelId && !ownName) {
      return;
    }
    const named = container.querySelectorAll(
      ".select2-selection[role=combobox], .select2-selection__rendered[role=textbox], .select2-search__field"
    );
    for (const element of named) {
      if (labelId) {
        // The box reads as its label and then its value (the rendered text).
        const rendered = element.matches("[role=combobox]")
          ? element.querySelector(".select2-selection__rendered[id]")
          : null;
        const ids = rendered ? labelId + " " + rendered.id : labelId;
        if (element.getAttribute("aria-labelledby") !== ids) {
          element.setAttribute("aria-labelledby", ids);
        }
      } else if (element.getAttribute("aria-label") !== ownName) {
        element.removeAttribute("aria-labelledby");
        element.setAttribute("aria-label", ownName);
      }
    }
    for (const clear of container.querySelectorAll(".select2-selection__clear:not([aria-hidden])")) {
      clear.setAttribute("aria-hidden", "true");
    }
  }

  // The search box of an open single select2 box is in a dropdown at the end of the page; it
  // points at its list of results, whose id holds the select's.
  function nameDropdownSearch(input) {
    const match = /^select2-(.+)-results$/.exec(input.getAttribute("aria-controls") || "");
    const select = match && document.getElementById(match[1]);
    if (!select) {
      return;
    }
    const labelId = labelIdFor(select);
    if (labelId) {
      input.setAttribute("aria-labelledby", labelId);
    } else if (select.hasAttribute("aria-label")) {
      input.setAttribute("aria-label", select.getAttribute("aria-label"));
    }
  }

  function nameFilterIcons(root) {
    for (const icon of root.querySelectorAll("span.help-tooltip[aria-label]:not([role])")) {
      icon.setAttribute("role", "img");
    }
  }

  function update() {
    for (const select of document.querySelectorAll("select.admin-autocomplete")) {
      nameSelect2Box(select);
    }
    for (const input of document.querySelectorAll(".select2-dropdown .select2-search__field")) {
      nameDropdownSearch(input);
    }
    nameFilterIcons(document);
  }

  let scheduled = false;
  function schedule() {
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(function () {
        scheduled = false;
        update();
      });
    }
  }

  function start() {
    update();
    // Only elements added or removed: the attributes set above do not trigger it again.
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
