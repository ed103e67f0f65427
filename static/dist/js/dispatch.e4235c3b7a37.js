// The dispatch console: select rows for bulk actions, keyboard moves. Progressive only.
(() => {
  const table = document.querySelector(".queue-table");
  const bulk = document.getElementById("bulk-form");
  if (table && bulk) {
    const boxes = () => Array.from(table.querySelectorAll("tbody input[name=order_ids]"));
    const all = table.querySelector("[data-select-all]");
    const count = bulk.querySelector("[data-bulk-count]");
    let last = null;

    const refresh = () => {
      const picked = boxes().filter((b) => b.checked);
      count.textContent = String(picked.length);
      bulk.querySelectorAll("[data-bulk-action]").forEach((b) => { b.disabled = picked.length === 0; });
      boxes().forEach((b) => b.closest("tr").classList.toggle("row-selected", b.checked));
      if (all) all.checked = picked.length > 0 && picked.length === boxes().length;
    };

    table.addEventListener("click", (event) => {
      const box = event.target.closest("input[name=order_ids]");
      if (!box) return;
      // Shift-click selects the range from the last box clicked.
      if (event.shiftKey && last) {
        const list = boxes();
        const [a, b] = [list.indexOf(last), list.indexOf(box)].sort((x, y) => x - y);
        list.slice(a, b + 1).forEach((x) => { x.checked = box.checked; });
      }
      last = box;
      refresh();
    });
    if (all) all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); refresh(); });
    bulk.addEventListener("submit", (event) => {
      const reject = event.submitter && event.submitter.value === "reject";
      const reason = bulk.querySelector("select[name=reason_code]");
      if (reject && reason && !reason.value) {
        event.preventDefault();
        reason.classList.add("is-invalid");
        reason.focus();
      }
    });
    refresh();

    // j / k move, x selects, Enter opens, / searches.
    const rows = () => Array.from(table.querySelectorAll("tbody tr[data-order]"));
    let current = -1;
    const focusRow = (i) => {
      const list = rows();
      if (!list.length) return;
      current = Math.max(0, Math.min(i, list.length - 1));
      list.forEach((r, n) => r.classList.toggle("row-focus", n === current));
      list[current].scrollIntoView({ block: "nearest" });
    };
    document.addEventListener("keydown", (event) => {
      const tag = (event.target.tagName || "").toLowerCase();
      if (["input", "select", "textarea"].includes(tag) || event.ctrlKey || event.metaKey || event.altKey) return;
      const list = rows();
      if (event.key === "/") {
        const search = document.querySelector(".queue-filters input[name=q]");
        if (search) { event.preventDefault(); search.focus(); search.select(); }
      } else if (event.key === "j") {
        focusRow(current + 1);
      } else if (event.key === "k") {
        focusRow(current - 1);
      } else if (event.key === "x" && list[current]) {
        const box = list[current].querySelector("input[name=order_ids]");
        box.checked = !box.checked;
        refresh();
      } else if (event.key === "Enter" && list[current] && tag !== "a" && tag !== "button") {
        window.location.assign(list[current].dataset.href);
      }
    });
  }
})();
