// Progressive enhancement only: every page works without it.
document.addEventListener("submit", (event) => {
  // Disable the submit button after the first click: no double orders by double taps.
  const form = event.target;
  if (form.method.toLowerCase() !== "post") return;
  window.setTimeout(() => {
    form.querySelectorAll("button:not([name])").forEach((b) => { b.disabled = true; });
  }, 0);
});
