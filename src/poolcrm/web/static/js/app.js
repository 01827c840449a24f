// Small behaviours the pages declare with data attributes, so that no page needs inline handlers
// (the Content-Security-Policy allows this site's own scripts only — SEC-2).
document.addEventListener("change", function (event) {
  const el = event.target;
  if (el.matches && el.matches("[data-autosubmit]") && el.form) el.form.submit();
});
document.addEventListener("click", function (event) {
  const button = event.target.closest && event.target.closest("[data-add-row], [data-template]");
  if (!button) return;
  if (button.dataset.addRow) {
    const body = document.querySelector(button.dataset.addRow);
    const row = body.rows[0].cloneNode(true);
    row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    body.appendChild(row);
  } else {
    const area = button.closest("form").querySelector("textarea");
    if (!area.value.trim()) area.value = button.dataset.template;
    area.focus();
  }
});
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
