// Progressive enhancement only: every page works without it.

// A form is sent once: a double tap on 提交订单 must not order twice. The second
// submit is dropped and the buttons are disabled once the first is on its way
// (after the event, so the pressed button's own name/value is still sent).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.method.toLowerCase() !== "post") return;
  if (form.dataset.sending === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
  window.setTimeout(() => {
    form.querySelectorAll("button:not([name])").forEach((b) => { b.disabled = true; });
  }, 0);
});

// Coming back with the browser's back button shows the page from memory:
// make its forms usable again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-sending]").forEach((form) => {
    delete form.dataset.sending;
    form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
  });
});

// A form sent back with a problem: take the user to the first field to fix.
document.addEventListener("DOMContentLoaded", () => {
  const first = document.querySelector("form .is-invalid, form .star-picker.is-invalid input");
  if (first && typeof first.focus === "function") {
    first.focus({ preventScroll: true });
    first.scrollIntoView({ block: "center" });
  }
});

// The two Bootstrap behaviours the pages use, without Bootstrap's 80 KB of script:
// the navigation bar's menu button on a phone, and the close button of a message.
document.addEventListener("click", (event) => {
  const toggler = event.target.closest("[data-bs-toggle=collapse]");
  if (toggler) {
    const target = document.querySelector(toggler.dataset.bsTarget);
    if (target) {
      const open = target.classList.toggle("show");
      toggler.setAttribute("aria-expanded", String(open));
    }
    return;
  }
  const dismiss = event.target.closest("[data-bs-dismiss=alert]");
  if (dismiss) dismiss.closest(".alert")?.remove();
});
