// The docs page has one main landmark, the page's own <main>. Swagger UI draws its list of
// operations in a <main> of its own, inside ours; it is made a named region instead.
"use strict";
new MutationObserver((changes, observer) => {
  const operations = document.querySelector("main main#operations");
  if (operations) {
    operations.setAttribute("role", "region");
    operations.setAttribute("aria-label", "Operations");
    observer.disconnect();
  }
}).observe(document.getElementById("swagger-ui"), { childList: true, subtree: true });
