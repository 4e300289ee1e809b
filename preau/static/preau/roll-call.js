// The roll call, saved as it is typed (access.md: "a teacher never loses a roll call").
//
// Each tap posts that pupil's entry alone to the page's entry address. What is not sent
// yet is kept in localStorage under the occurrence, so that nothing is lost when the
// connection drops, the page is closed or the session ends: it is sent again with a
// growing delay, when the connection comes back, and when the page is opened again
// after a new log-in. Without JavaScript the same form sends the whole list.

const form = document.getElementById("roll-call");
const textsElement = document.getElementById("rc-texts");

if (form && textsElement && !form.hasAttribute("data-readonly")) {
  start(form, JSON.parse(textsElement.textContent));
}

function start(form, texts) {
  const storageKey = `preau:roll-call:${form.dataset.occurrence}`;
  const entryUrl = form.dataset.entryUrl;
  const pageUrl = form.dataset.pageUrl;
  const loginUrl = form.dataset.loginUrl;
  const startsAt = Number(form.dataset.start);
  const endsAt = Number(form.dataset.end);
  const summary = document.getElementById("rc-summary");
  const connection = document.getElementById("rc-connection");
  const pendingLine = document.getElementById("rc-pending");
  const validate = form.querySelector(".rc-validate");
  let token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const delays = [2000, 4000, 8000, 15000, 30000];
  let attempt = 0;
  let retryTimer = null;
  let sending = false;
  let again = false;

  document.documentElement.classList.add("rc-js");

  // -- What waits to be sent --------------------------------------------------------
  // { entries: { pupilId: { mark, minutes, seq } }, validate: bool, seq: n }

  function load() {
    try {
      const kept = JSON.parse(window.localStorage.getItem(storageKey));
      if (kept && typeof kept === "object" && kept.entries) return kept;
    } catch (error) {
      // Storage refused (private browsing) or unreadable: the queue lives in memory.
    }
    return { entries: {}, validate: false, seq: 0 };
  }

  const queue = load();

  function store() {
    try {
      if (Object.keys(queue.entries).length === 0 && !queue.validate) {
        window.localStorage.removeItem(storageKey);
      } else {
        window.localStorage.setItem(storageKey, JSON.stringify(queue));
      }
    } catch (error) {
      // Kept in memory only.
    }
  }

  // -- The page ----------------------------------------------------------------------

  function rowOf(pupil) {
    return form.querySelector(`.rc-pupil[data-pupil="${pupil}"]`);
  }

  function setState(row, state, detail) {
    const element = row && row.querySelector(".rc-state");
    if (!element) return;
    element.dataset.state = state;
    element.textContent = detail ? `${texts[state]} : ${detail}` : texts[state];
  }

  function showPending() {
    const count = Object.keys(queue.entries).length + (queue.validate ? 1 : 0);
    if (!pendingLine) return;
    pendingLine.hidden = count === 0;
    pendingLine.textContent =
      count === 1 ? texts.pending_one : texts.pending_many.replace("%(n)s", String(count));
  }

  function showConnection(kind) {
    if (!kind) {
      connection.hidden = true;
      connection.textContent = "";
      return;
    }
    connection.textContent = "";
    const message = document.createElement("p");
    message.textContent = texts[kind];
    connection.appendChild(message);
    if (kind === "login") {
      const link = document.createElement("a");
      link.href = loginUrl;
      link.textContent = texts.login_link;
      link.className = "button";
      const line = document.createElement("p");
      line.appendChild(link);
      connection.appendChild(line);
    }
    connection.hidden = false;
  }

  function updateValidate() {
    if (!validate) return;
    const marked = Array.from(form.querySelectorAll(".rc-mark:checked")).some(
      (input) => input.value !== "present",
    );
    validate.textContent = marked ? validate.dataset.labelSome : validate.dataset.labelAll;
  }

  function minutesShown(row) {
    const checked = row.querySelector(".rc-quick:checked");
    if (checked) return Number(checked.value);
    const typed = row.querySelector(".rc-minutes");
    const value = Number(typed && typed.value);
    return Number.isInteger(value) && value >= 1 ? value : null;
  }

  function showMinutes(row, minutes) {
    const quick = row.querySelector(`.rc-quick[value="${minutes}"]`);
    row.querySelectorAll(".rc-quick").forEach((input) => {
      input.checked = input === quick;
    });
    const typed = row.querySelector(".rc-minutes");
    if (typed) typed.value = quick ? "" : String(minutes);
  }

  // A pupil marked late while the occurrence runs arrives now: the minutes since its
  // start, so that one tap is enough; otherwise 5, to correct if needed.
  function defaultMinutes() {
    const now = Date.now();
    if (now > startsAt && now < endsAt) {
      return Math.max(1, Math.min(240, Math.floor((now - startsAt) / 60000)));
    }
    return 5;
  }

  function showEntry(row, entry) {
    const radio = row.querySelector(`.rc-mark[value="${entry.mark}"]`);
    if (radio) radio.checked = true;
    if (entry.mark === "late" && entry.minutes) showMinutes(row, entry.minutes);
  }

  // -- Typing ------------------------------------------------------------------------

  function enqueue(row, mark, minutes) {
    queue.seq = (queue.seq || 0) + 1;
    queue.entries[row.dataset.pupil] = { mark, minutes, seq: queue.seq };
    store();
    setState(row, "pending");
    showPending();
    updateValidate();
    flush();
  }

  form.addEventListener("change", (event) => {
    const input = event.target;
    const row = input.closest(".rc-pupil");
    if (!row) return;
    const late = row.querySelector('.rc-mark[value="late"]');
    if (input.classList.contains("rc-mark")) {
      if (input.value === "late") {
        let minutes = minutesShown(row);
        if (!minutes) {
          minutes = defaultMinutes();
          showMinutes(row, minutes);
        }
        enqueue(row, "late", minutes);
      } else {
        enqueue(row, input.value, null);
      }
    } else if (input.classList.contains("rc-quick")) {
      const typed = row.querySelector(".rc-minutes");
      if (typed) typed.value = "";
      late.checked = true;
      enqueue(row, "late", Number(input.value));
    } else if (input.classList.contains("rc-minutes")) {
      const minutes = Number(input.value);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 240) {
        setState(row, "error", texts.bad_minutes);
        return;
      }
      row.querySelectorAll(".rc-quick").forEach((quick) => {
        quick.checked = false;
      });
      late.checked = true;
      enqueue(row, "late", minutes);
    }
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    queue.validate = true;
    store();
    showPending();
    flush();
  });

  // -- Sending -----------------------------------------------------------------------

  async function post(fields) {
    const body = new URLSearchParams(fields);
    let response;
    try {
      response = await fetch(entryUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-CSRFToken": token, Accept: "application/json" },
      });
    } catch (error) {
      return { kind: "offline" };
    }
    // Redirected to the login page (session ended), or the form's token refused.
    if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
      return { kind: "login" };
    }
    if (response.ok) {
      try {
        return { kind: "ok", data: await response.json() };
      } catch (error) {
        return { kind: "offline" };
      }
    }
    if (response.status === 400 || response.status === 404) {
      let message = texts.refused;
      try {
        message = (await response.json()).error || message;
      } catch (error) {
        // A 404 page, not JSON.
      }
      return { kind: "refused", message };
    }
    return { kind: "offline" };
  }

  // After a log-in in another tab the page's token is stale: read a fresh one from the
  // page itself; false when the session is really gone.
  async function refreshToken() {
    try {
      const response = await fetch(pageUrl, { credentials: "same-origin", redirect: "manual" });
      if (!response.ok) return false;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector("#roll-call input[name=csrfmiddlewaretoken]");
      if (!fresh) return false;
      token = fresh.value;
      return true;
    } catch (error) {
      return false;
    }
  }

  async function sendOne(fields, refreshed) {
    const result = await post(fields);
    if (result.kind === "login" && !refreshed && (await refreshToken())) {
      return sendOne(fields, true);
    }
    return result;
  }

  function retryLater(kind) {
    showConnection(kind);
    clearTimeout(retryTimer);
    const delay = delays[Math.min(attempt, delays.length - 1)];
    attempt += 1;
    retryTimer = setTimeout(flush, delay);
  }

  async function flush() {
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    clearTimeout(retryTimer);
    try {
      for (const pupil of Object.keys(queue.entries)) {
        const entry = queue.entries[pupil];
        if (!entry) continue;
        const row = rowOf(pupil);
        setState(row, "sending");
        const fields = { pupil, mark: entry.mark };
        if (entry.minutes) fields.minutes = String(entry.minutes);
        const result = await sendOne(fields, false);
        if (result.kind === "offline" || result.kind === "login") {
          setState(row, "pending");
          retryLater(result.kind);
          return;
        }
        // A newer tap for the same pupil waits for its own turn.
        if (queue.entries[pupil] && queue.entries[pupil].seq === entry.seq) {
          delete queue.entries[pupil];
          setState(row, result.kind === "ok" ? "saved" : "error", result.message);
        }
        store();
        showPending();
        if (result.kind === "ok") {
          summary.textContent = result.data.summary;
          summary.classList.add("rc-summary--done");
        }
      }
      if (queue.validate) {
        const result = await sendOne({}, false);
        if (result.kind === "offline" || result.kind === "login") {
          retryLater(result.kind);
          return;
        }
        queue.validate = false;
        store();
        showPending();
        if (result.kind === "ok") {
          summary.textContent = result.data.summary;
          summary.classList.add("rc-summary--done");
          form.querySelectorAll('.rc-state[data-state="none"]').forEach((element) => {
            element.dataset.state = "saved";
            element.textContent = texts.saved;
          });
        } else {
          showConnection(null);
          summary.textContent = result.message;
        }
      }
      attempt = 0;
      showConnection(null);
    } finally {
      sending = false;
      if (again) {
        again = false;
        if (Object.keys(queue.entries).length || queue.validate) flush();
      }
    }
  }

  window.addEventListener("online", () => flush());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });

  // What a previous visit could not send (closed page, ended session): shown as
  // typed, then sent.
  for (const [pupil, entry] of Object.entries(queue.entries)) {
    const row = rowOf(pupil);
    if (!row) {
      delete queue.entries[pupil];
      continue;
    }
    showEntry(row, entry);
    setState(row, "pending");
  }
  store();
  showPending();
  updateValidate();
  if (Object.keys(queue.entries).length || queue.validate) flush();
}
