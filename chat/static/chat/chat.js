// Chat widget: messages are built with textContent only; history catches up after reconnects.
import { connectPage } from "../core/connection.js";

const TYPING_SHOW_MS = 3000;
const TYPING_SEND_MS = 2000;
const PING_MS = 20000;
// The server answers "slow_down" for a message it had no room to queue (it is overloaded): the
// widget keeps the message and sends it again after a jittered, growing delay. Other refusals
// ("rate_limited" among them: those count towards the abuse limit) put it back in the box.
const RETRY_CODES = new Set(["slow_down"]);
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 8000;
const RETRY_ATTEMPTS = 8;

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function mount(root) {
  const room = root.dataset.chatRoom;
  const maxLength = Number(root.dataset.maxLength) || 2000;
  const log = root.querySelector(".chat-log");
  const list = root.querySelector(".chat-messages");
  const olderButton = root.querySelector(".chat-older");
  const typingLine = root.querySelector(".chat-typing");
  const people = root.querySelector(".chat-people");
  const form = root.querySelector(".chat-form");
  const input = form.querySelector("input[name=body]");
  const errorLine = root.querySelector(".chat-error");

  const seen = new Map(); // message id -> <li>
  const typing = new Map(); // user id -> { name, until }
  let me = null;
  let lastTypingSent = 0;
  let pingTimer = null;
  let clientCounter = 0;
  const unacknowledged = new Map(); // client_id -> { body, attempts }

  const lastId = () => (seen.size ? Math.max(...seen.keys()) : null);
  const firstId = () => (seen.size ? Math.min(...seen.keys()) : null);

  function showError(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  function buildItem(message) {
    const li = document.createElement("li");
    li.dataset.id = String(message.id);
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = message.author.name;
    const body = document.createElement("span");
    body.className = "body";
    body.textContent = message.body;
    const when = document.createElement("time");
    when.className = "when";
    when.dateTime = message.created_at;
    when.textContent = formatTime(message.created_at);
    li.append(author, body, when);
    return li;
  }

  // Insert keeping id order; ignore duplicates (a message can arrive live and in a catch-up).
  function addMessages(messages) {
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    for (const message of messages) {
      if (seen.has(message.id)) continue;
      const li = buildItem(message);
      let next = null;
      for (const [id, el] of seen) if (id > message.id && (!next || id < Number(next.dataset.id))) next = el;
      list.insertBefore(li, next);
      seen.set(message.id, li);
      typing.delete(message.author.id);
    }
    renderTyping();
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  function prependOlder(messages) {
    const before = log.scrollHeight;
    addMessages(messages);
    log.scrollTop += log.scrollHeight - before;
  }

  function renderPeople(users, count) {
    const items = users.map((user) => {
      const li = document.createElement("li");
      li.textContent = user.name;
      return li;
    });
    if (count > users.length) {
      const more = document.createElement("li");
      more.className = "muted";
      more.textContent = `and ${count - users.length} more`;
      items.push(more);
    }
    people.replaceChildren(...items);
  }

  function renderTyping() {
    const now = Date.now();
    const names = [...typing.values()].filter((t) => t.until > now).map((t) => t.name);
    typingLine.textContent = names.length === 0 ? "" :
      names.length === 1 ? `${names[0]} is typing…` : `${names.join(", ")} are typing…`;
  }
  setInterval(renderTyping, 1000);

  let synced = false;
  const socket = connectPage(root, {
    onOpen(handle) {
      showError("");
      if (!synced) handle.send({ type: "sync", after: null }); // later opens catch up in onResync
      synced = true;
      clearInterval(pingTimer);
      pingTimer = setInterval(() => handle.send({ type: "ping" }), PING_MS);
    },
    // After a reconnect or a server "resync": fetch whatever came after the last message seen.
    onResync(handle) { handle.send({ type: "sync", after: lastId() }); },
    onMessage(data, handle) {
      switch (data.type) {
        case "welcome": me = data.you; break;
        case "message": addMessages([data.message]); break;
        case "history":
          addMessages(data.messages);
          olderButton.hidden = !data.has_older;
          log.scrollTop = log.scrollHeight;
          break;
        case "catch_up":
          addMessages(data.messages);
          if (data.has_newer) handle.send({ type: "sync", after: lastId() });
          break;
        case "older": prependOlder(data.messages); olderButton.hidden = !data.has_older; break;
        case "presence": renderPeople(data.users, data.count); break;
        case "typing":
          if (!me || data.user.id !== me.id) typing.set(data.user.id, { name: data.user.name, until: Date.now() + TYPING_SHOW_MS });
          renderTyping();
          break;
        case "ack":
          unacknowledged.delete(data.client_id);
          showError("");
          break;
        case "error":
          if (RETRY_CODES.has(data.code) && retryLater(data.client_id)) {
            showError("The server is busy: your message will be sent again in a moment.");
          } else {
            const refused = unacknowledged.get(data.client_id);
            unacknowledged.delete(data.client_id);
            if (refused && !input.value) input.value = refused.body; // not lost: back in the box
            showError(data.message);
          }
          break;
        default: break;
      }
    },
    onClose() { clearInterval(pingTimer); },
  });

  function sendMessage(clientId) {
    const pending = unacknowledged.get(clientId);
    if (!pending) return;
    if (!socket.send({ type: "message", body: pending.body, client_id: clientId })) retryLater(clientId);
  }

  // Returns false when the message is not ours or has been tried too often.
  function retryLater(clientId) {
    const pending = unacknowledged.get(clientId);
    if (!pending || pending.attempts >= RETRY_ATTEMPTS) return false;
    const base = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** pending.attempts);
    pending.attempts += 1;
    setTimeout(() => sendMessage(clientId), base / 2 + (Math.random() * base) / 2);
    return true;
  }

  function loadOlder() {
    const oldest = firstId();
    if (oldest !== null) socket.send({ type: "older", before: oldest });
  }
  olderButton.addEventListener("click", loadOlder);
  log.addEventListener("scroll", () => {
    if (log.scrollTop === 0 && !olderButton.hidden) loadOlder();
  });

  input.addEventListener("input", () => {
    const now = Date.now();
    if (input.value && now - lastTypingSent > TYPING_SEND_MS) {
      lastTypingSent = now;
      socket.send({ type: "typing" });
    }
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    if (body.length > maxLength) { showError(`A message may be at most ${maxLength} characters.`); return; }
    clientCounter += 1;
    const clientId = `c${clientCounter}`;
    if (socket.send({ type: "message", body, client_id: clientId })) {
      unacknowledged.set(clientId, { body, attempts: 0 });
      input.value = "";
    } else {
      showError("Not connected: your message was not sent. Reconnecting…");
    }
  });
}

document.querySelectorAll("[data-chat-room]").forEach(mount);
