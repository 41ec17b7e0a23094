// The subscribe form's time zone starts as the browser's own (Intl API), unless the
// person already typed one. Served as a file, so the Content-Security-Policy needs no
// inline script; without JavaScript the field keeps its server default, UTC.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) {
    return;
  }
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    if (input.value === "" || input.value === input.defaultValue) {
      input.value = zone;
    }
  });
})();
