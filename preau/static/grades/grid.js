// The grade grid: keyboard-first entry of marks, saved as typed.
//
// Each cell is an <input>; the arrows move between cells (left and right once the
// caret is at the edge of the text), Enter saves and goes down (Shift+Enter up),
// Escape puts back what is saved. A cell is sent when it is left or confirmed, with
// the version it was shown with, in one POST of JSON to the grid's save address; the
// answer tells each cell what is saved (the text as the school writes it), or why it
// is refused (shown in the cell, which is marked invalid), or that a colleague changed
// it meanwhile (their value is shown, and the typist told). Pasting several lines (or
// columns) copied from a spreadsheet fills the cells down (and across) from the one
// pasted into, and sends them together. What cannot be sent (connection lost, session
// ended) waits and is sent again: in the page, and in localStorage under the account,
// service and period (as the roll call does), so that a closed page loses nothing. The
// next visit puts those cells back, marked as waiting, and sends them with the version
// they were typed at (a colleague's change meanwhile is a conflict, as ever). Without
// JavaScript the grid reads.

const table = document.getElementById("grade-grid");
const textsElement = document.getElementById("gg-texts");

if (table && textsElement) {
  start(table, JSON.parse(textsElement.textContent), !table.hasAttribute("data-readonly"));
}

function start(table, texts, editable) {
  const saveUrl = table.dataset.saveUrl;
  const status = document.getElementById("gg-status");
  const connection = document.getElementById("gg-connection");
  let token = table.dataset.csrf;
  const grid = [];
  const byKey = new Map();
  const queue = new Map();
  // Sent, not answered yet: kept in storage until the answer comes.
  const inFlight = new Map();
  const storageKey = `preau:grade-grid:${table.dataset.account}:${table.dataset.service}:${table.dataset.period}`;
  // False when the browser refuses storage (private browsing, full): the cells wait
  // in the page only, and leaving it warns.
  let kept = true;
  const delays = [2000, 4000, 8000, 15000, 30000];
  let attempt = 0;
  let retryTimer = null;
  let sending = false;

  const keyOf = (input) => `${input.dataset.evaluation}:${input.dataset.pupil}`;

  for (const input of table.querySelectorAll(".gg-input")) {
    const row = Number(input.dataset.row);
    (grid[row] = grid[row] || [])[Number(input.dataset.col)] = input;
    // `saved`: what the server holds; `last`: what was last sent (or saved).
    input.dataset.saved = input.value;
    input.dataset.last = input.value;
    byKey.set(keyOf(input), input);
  }

  function cellAt(row, col) {
    return grid[row] ? grid[row][col] : undefined;
  }

  function move(input, rows, cols) {
    const next = cellAt(Number(input.dataset.row) + rows, Number(input.dataset.col) + cols);
    if (next) {
      next.focus();
      next.select();
    }
  }

  // -- What a cell shows -------------------------------------------------------------

  function setState(input, state, message) {
    const cell = input.closest("td");
    cell.dataset.state = state;
    let note = cell.querySelector(".gg-message");
    if (message) {
      if (!note) {
        note = document.createElement("span");
        note.className = "gg-message";
        note.id = `gg-message-${input.dataset.evaluation}-${input.dataset.pupil}`;
        cell.appendChild(note);
      }
      note.textContent = message;
      input.setAttribute("aria-describedby", note.id);
    } else if (note) {
      note.remove();
      input.removeAttribute("aria-describedby");
    }
    if (state === "error") {
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
  }

  function announce(text) {
    if (status) status.textContent = text;
  }

  function showConnection(kind) {
    if (!connection) return;
    connection.hidden = !kind;
    connection.textContent = "";
    if (kind) {
      const line = document.createElement("p");
      line.textContent = texts[kind];
      connection.appendChild(line);
    }
  }

  function showFigures(data) {
    for (const [pupil, text] of Object.entries(data.averages || {})) {
      const element = table.querySelector(`[data-average-of="${pupil}"]`);
      if (element) element.textContent = text;
    }
    for (const [evaluation, text] of Object.entries(data.means || {})) {
      const element = table.querySelector(`[data-mean-of="${evaluation}"]`);
      if (element) element.textContent = text;
    }
    const mean = document.getElementById("gg-mean");
    if (mean && data.mean !== undefined) mean.textContent = data.mean;
  }

  // -- What waits, kept in the browser -------------------------------------------------
  // { cells: { "evaluation:pupil": { text, version } } }: the text to send and the
  // version the cell was shown at.

  function readKept() {
    try {
      const value = JSON.parse(window.localStorage.getItem(storageKey));
      if (value && typeof value.cells === "object" && value.cells) return value.cells;
    } catch (error) {
      // Storage refused or unreadable: nothing was kept.
    }
    return {};
  }

  function keep() {
    const cells = {};
    for (const [key, input] of [...inFlight, ...queue]) {
      cells[key] = { text: input.dataset.last, version: Number(input.dataset.version) };
    }
    try {
      if (Object.keys(cells).length) {
        window.localStorage.setItem(storageKey, JSON.stringify({ cells }));
      } else {
        window.localStorage.removeItem(storageKey);
      }
      kept = true;
    } catch (error) {
      kept = false;
    }
  }

  // -- Typing ------------------------------------------------------------------------

  function enqueue(input) {
    const value = input.value.trim();
    if (input.readOnly || value === input.dataset.last) return false;
    input.dataset.last = value;
    queue.set(keyOf(input), input);
    setState(input, "saving");
    return true;
  }

  function commit(input) {
    if (enqueue(input)) {
      keep();
      flush();
    }
  }

  function atStart(input) {
    return input.selectionStart === 0 && (input.selectionEnd === 0 || input.selectionEnd === input.value.length);
  }

  function atEnd(input) {
    const end = input.value.length;
    return input.selectionEnd === end && (input.selectionStart === end || input.selectionStart === 0);
  }

  table.addEventListener("keydown", (event) => {
    const input = event.target.closest(".gg-input");
    if (!input || event.altKey || event.ctrlKey || event.metaKey) return;
    let rows = 0;
    let cols = 0;
    if (event.key === "ArrowUp") rows = -1;
    else if (event.key === "ArrowDown") rows = 1;
    else if (event.key === "Enter") rows = event.shiftKey ? -1 : 1;
    else if (event.key === "ArrowLeft" && atStart(input)) cols = -1;
    else if (event.key === "ArrowRight" && atEnd(input)) cols = 1;
    else if (event.key === "Escape" && !input.readOnly) {
      input.value = input.dataset.saved;
      input.select();
      return;
    } else return;
    event.preventDefault();
    if (editable) commit(input);
    move(input, rows, cols);
  });

  table.addEventListener("focusin", (event) => {
    const input = event.target.closest(".gg-input");
    if (input) input.select();
  });

  if (!editable) return;

  table.addEventListener("change", (event) => {
    const input = event.target.closest(".gg-input");
    if (input) commit(input);
  });

  // A column (lines) or a block (lines of tab-separated values) from a spreadsheet.
  table.addEventListener("paste", (event) => {
    const input = event.target.closest(".gg-input");
    const data = event.clipboardData || window.clipboardData;
    if (!input || !data) return;
    const text = data.getData("text").replace(/\r\n?/g, "\n").replace(/\n+$/, "");
    if (!/[\t\n]/.test(text)) return;
    event.preventDefault();
    const row = Number(input.dataset.row);
    const col = Number(input.dataset.col);
    let ignored = 0;
    text.split("\n").forEach((line, down) => {
      line.split("\t").forEach((value, across) => {
        const target = cellAt(row + down, col + across);
        if (!target || target.readOnly) {
          if (value.trim()) ignored += 1;
          return;
        }
        target.value = value.trim();
        enqueue(target);
      });
    });
    if (ignored) announce(texts.ignored.replace("%(n)s", String(ignored)));
    keep();
    flush();
  });

  window.addEventListener("beforeunload", (event) => {
    // Kept in storage, the cells are sent at the next visit: no need to hold the page.
    if (!kept && (queue.size || sending)) {
      event.preventDefault();
      event.returnValue = texts.leave;
    }
  });

  // -- Sending -----------------------------------------------------------------------

  async function post(cells) {
    let response;
    try {
      response = await fetch(saveUrl, {
        method: "POST",
        body: JSON.stringify({ cells }),
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-CSRFToken": token, "Content-Type": "application/json", Accept: "application/json" },
      });
    } catch (error) {
      return { kind: "offline" };
    }
    if (response.type === "opaqueredirect" || response.status === 401) return { kind: "login" };
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      // Not JSON: a login redirect, the CSRF page, a 404 or a server error page.
    }
    if (response.ok && data) return { kind: "ok", data };
    if (data && data.error) return { kind: "refused", message: data.error };
    if (response.status === 403) return { kind: "login" };
    if (response.status >= 500) return { kind: "offline" };
    return { kind: "refused", message: texts.refused };
  }

  // After a log-in in another tab, the page's token is stale: take the new one.
  async function refreshToken() {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", redirect: "manual" });
      if (!response.ok) return false;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("grade-grid");
      if (!fresh) return false;
      token = fresh.dataset.csrf;
      return true;
    } catch (error) {
      return false;
    }
  }

  function apply(cell) {
    const input = byKey.get(`${cell.evaluation}:${cell.pupil}`);
    if (!input) return;
    input.dataset.version = String(cell.version);
    input.dataset.saved = cell.text;
    // Typed again meanwhile: that newer text waits for its own answer.
    if (queue.has(keyOf(input))) return;
    const sent = input.dataset.last;
    if (cell.conflict) {
      input.value = cell.text;
      input.dataset.last = cell.text;
      setState(input, "conflict", `${cell.error} ${texts.conflict.replace("%(typed)s", sent)}`);
      announce(`${input.getAttribute("aria-label")} : ${cell.error}`);
    } else if (cell.error) {
      setState(input, "error", cell.error);
      announce(`${input.getAttribute("aria-label")} : ${cell.error}`);
    } else {
      if (input.value.trim() === sent) input.value = cell.text;
      input.dataset.last = cell.text;
      setState(input, "saved");
    }
  }

  function retryLater(kind) {
    showConnection(kind);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, delays[Math.min(attempt, delays.length - 1)]);
    attempt += 1;
  }

  async function flush() {
    if (sending || !queue.size) return;
    sending = true;
    clearTimeout(retryTimer);
    const batch = Array.from(queue.values());
    for (const [key, input] of queue) inFlight.set(key, input);
    queue.clear();
    const cells = batch.map((input) => ({
      evaluation: Number(input.dataset.evaluation),
      pupil: Number(input.dataset.pupil),
      text: input.dataset.last,
      version: Number(input.dataset.version),
    }));
    try {
      let result = await post(cells);
      if (result.kind === "login" && (await refreshToken())) result = await post(cells);
      if (result.kind === "offline" || result.kind === "login") {
        for (const input of batch) {
          if (!queue.has(keyOf(input))) {
            queue.set(keyOf(input), input);
            setState(input, "pending", texts.pending);
          }
        }
        retryLater(result.kind);
        return;
      }
      attempt = 0;
      showConnection(null);
      if (result.kind === "refused") {
        for (const input of batch) {
          if (!queue.has(keyOf(input))) setState(input, "error", result.message);
        }
        announce(result.message);
        return;
      }
      const answered = result.data.cells || [];
      answered.forEach(apply);
      showFigures(result.data);
      const saved = answered.filter((cell) => !cell.error).length;
      if (saved && saved === answered.length) {
        announce(saved === 1 ? texts.saved : texts.saved_many.replace("%(n)s", String(saved)));
      }
    } finally {
      sending = false;
      inFlight.clear();
      keep();
      // Typed while this batch was on its way (a retry waits for its timer).
      if (queue.size && attempt === 0) flush();
    }
  }

  window.addEventListener("online", () => flush());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });

  // What a previous visit could not send (closed page, ended session): back in its
  // cell as typed, waiting, then sent with the version it was typed at. Cells no
  // longer in the grid (evaluation deleted, pupil gone) are dropped.
  let restored = 0;
  for (const [key, cell] of Object.entries(readKept())) {
    const input = byKey.get(key);
    if (!input || input.readOnly || !cell || typeof cell.text !== "string") continue;
    input.value = cell.text;
    input.dataset.last = cell.text;
    input.dataset.version = String(Number(cell.version) || 0);
    queue.set(key, input);
    setState(input, "pending", texts.pending);
    restored += 1;
  }
  keep();
  if (restored) {
    announce(
      restored === 1
        ? table.dataset.restoredOne
        : table.dataset.restoredMany.replace("%(n)s", String(restored)),
    );
    flush();
  }
}
