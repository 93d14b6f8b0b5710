// ReDoc on /redoc, from the service's own copy; system fonts (no font host), no search worker (a blob:
// worker would need the CSP to allow more than 'self').
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  Redoc.init(
    "/openapi.json",
    {
      disableSearch: true,
      theme: { typography: { fontFamily: "system-ui, sans-serif", headings: { fontFamily: "system-ui, sans-serif" } } },
    },
    document.getElementById("redoc-container")
  );
});
