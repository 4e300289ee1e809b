// The messaging pages' small helpers, without which the pages still work:
// - the formatting buttons above a message's text area insert the marks a person may
//   type (**gras**, *italique*, "- " and "1. " at the start of lines), Ctrl+B and
//   Ctrl+I too;
// - in the people search of the writing page, Enter searches instead of sending the
//   form, and the people ticked in the results are kept among those chosen before
//   htmx puts new results in their place.
(() => {
  const wrap = (area, mark) => {
    const { selectionStart: start, selectionEnd: end, value } = area;
    const chosen = value.slice(start, end) || (mark === "**" ? "gras" : "italique");
    area.setRangeText(`${mark}${chosen}${mark}`, start, end, "end");
    area.setSelectionRange(start + mark.length, start + mark.length + chosen.length);
  };
  const prefix = (area, numbered) => {
    const { selectionStart: start, selectionEnd: end, value } = area;
    const lineStart = value.lastIndexOf("\n", start - 1) + 1;
    const lines = value.slice(lineStart, end).split("\n");
    const text = lines.map((line, i) => (numbered ? `${i + 1}. ` : "- ") + line).join("\n");
    area.setRangeText(text, lineStart, end, "end");
  };
  const apply = (area, format) => {
    if (format === "bold") wrap(area, "**");
    else if (format === "italic") wrap(area, "*");
    else prefix(area, format === "numbers");
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  };

  document.querySelectorAll(".msg-editor__toolbar").forEach((toolbar) => {
    const area = document.getElementById(toolbar.dataset.editor);
    if (!area) return;
    toolbar.hidden = false;
    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-format]");
      if (button) apply(area, button.dataset.format);
    });
    area.addEventListener("keydown", (event) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
      const key = event.key.toLowerCase();
      if (key === "b" || key === "i") {
        event.preventDefault();
        apply(area, key === "b" ? "bold" : "italic");
      }
    });
  });

  const search = document.getElementById("people-q");
  const chosen = document.getElementById("people-chosen-list");
  const results = document.getElementById("people-results");
  if (!search || !chosen || !results || !window.htmx) return;
  const keepTicked = () => {
    results.querySelectorAll("input[type=checkbox]:checked").forEach((box) => {
      chosen.appendChild(box.closest("li"));
    });
    const none = document.getElementById("people-none");
    if (none) none.hidden = chosen.children.length > 0;
  };
  const find = () => window.htmx.trigger(search, "search");
  // Before a search leaves (its parameters name the people chosen, left out of the
  // results), the people ticked in the current results join those chosen.
  search.addEventListener("htmx:confirm", keepTicked);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      find();
    }
  });
  const button = document.getElementById("people-search");
  if (button) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      find();
    });
  }
})();
