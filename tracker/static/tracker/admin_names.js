/* Names for the controls that Django's admin widgets draw with scripts and leave unnamed
   (issue 21; axe's label, aria-input-field-name, aria-prohibited-attr and list rules):

   - select2 (autocomplete fields): the search box of a multiple choice and the combobox of a
     single one take the name of the field's <label>; the "remove all" cross, which select2
     4.0 puts inside its <ul> of choices, moves beside the list;
   - the filter boxes of filter_horizontal: the help icon's aria-label is allowed once the
     icon has the role of an image;
   - the split date and time inputs: "<field> date" and "<field> time".

   The widgets draw late (select2 on document ready and for every inline row added,
   SelectFilter on load), so the names are given whenever the page's elements change. */
(function () {
  "use strict";

  function labelFor(control) {
    if (!control.id) return null;
    return document.querySelector('label[for="' + CSS.escape(control.id) + '"]');
  }

  function labelText(control) {
    const label = labelFor(control);
    const text = label ? label.textContent.replace(/:\s*$/, "").trim() : "";
    return text || control.name || "";
  }

  function labelId(control) {
    const label = labelFor(control);
    if (!label) return null;
    if (!label.id) label.id = control.id + "-label";
    return label.id;
  }

  function nameSelect2(select) {
    const container = select.nextElementSibling;
    if (!container || !container.classList.contains("select2-container")) return;
    const text = labelText(select);
    container.querySelectorAll(".select2-search__field").forEach(function (search) {
      if (!search.hasAttribute("aria-label")) search.setAttribute("aria-label", text);
    });
    container.querySelectorAll(".select2-selection--single").forEach(function (combobox) {
      const rendered = combobox.querySelector(".select2-selection__rendered");
      const label = labelId(select);
      if (!rendered || !rendered.id) return;
      // The field's name, then the value chosen (empty until one is).
      const names = label ? label + " " + rendered.id : rendered.id;
      if (combobox.getAttribute("aria-labelledby") !== names) {
        combobox.setAttribute("aria-labelledby", names);
      }
      if (!rendered.hasAttribute("aria-label")) rendered.setAttribute("aria-label", text);
    });
    container.querySelectorAll("ul.select2-selection__rendered").forEach(function (list) {
      list.querySelectorAll(":scope > .select2-selection__clear").forEach(function (cross) {
        list.before(cross);
      });
    });
  }

  function nameAll() {
    document.querySelectorAll("select.select2-hidden-accessible").forEach(nameSelect2);
    document.querySelectorAll(".help-tooltip.search-label-icon[aria-label]").forEach(function (icon) {
      if (!icon.hasAttribute("role")) icon.setAttribute("role", "img");
    });
    document.querySelectorAll("p.datetime").forEach(function (pair) {
      const inputs = pair.querySelectorAll("input.vDateField, input.vTimeField");
      if (!inputs.length) return;
      // Django names the pair with a <legend> (or a <label> for the date) in its row.
      const row = pair.closest(".form-row, td");
      const caption = row ? row.querySelector("legend, label") : null;
      const field = caption ? caption.textContent.replace(/:\s*$/, "").trim() : inputs[0].name;
      inputs.forEach(function (input) {
        if (input.hasAttribute("aria-label")) return;
        const part = input.classList.contains("vDateField") ? "date" : "time";
        input.setAttribute("aria-label", field + " " + part);
      });
    });
  }

  function start() {
    nameAll();
    // Attributes set here add no elements, so only the cross's move makes a second pass.
    new MutationObserver(nameAll).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
