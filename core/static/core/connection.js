// A page's WebSocket: reconnects with jittered exponential backoff, shows its state in the
// header badge, and tells the page when to catch up. Pages import { connectPage } (reads the
// socket path from an element's data-socket-path) or { openSocket } from this module.
//
// onResync(handle) runs whenever the page may have missed events: after every reconnect, and
// when the server sends {"type": "resync"} (it lost Redis for a while and is back). While the
// server says it cannot deliver live events ({"type": "stale"}), the badge says so.
const badge = () => document.getElementById("connection-state");

const LABELS = {
  connecting: "Connecting…",
  open: "Live",
  stale: "Not live — updates paused",
  closed: "Offline — retrying",
  refused: "Not connected",
};

function showState(state) {
  const el = badge();
  if (!el) return;
  el.hidden = false;
  el.dataset.state = state;
  el.textContent = LABELS[state] || state;
}

export function openSocket(path, { onOpen, onMessage, onClose, onResync, maxDelay = 30000 } = {}) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  let socket = null;
  let attempt = 0;
  let opened = 0;
  let stopped = false;
  let timer = null;

  function connect() {
    showState("connecting");
    socket = new WebSocket(`${scheme}://${window.location.host}${path}`);
    socket.addEventListener("open", () => {
      attempt = 0;
      opened += 1;
      showState("open");
      if (onOpen) onOpen(handle);
      if (opened > 1 && onResync) onResync(handle); // events sent while we were away are lost
    });
    socket.addEventListener("message", (event) => {
      let data;
      try { data = JSON.parse(event.data); } catch { return; }
      if (data && data.type === "stale") { showState("stale"); return; }
      if (data && data.type === "resync") {
        showState("open");
        if (onResync) onResync(handle);
      }
      if (onMessage) onMessage(data, handle);
    });
    socket.addEventListener("close", (event) => {
      if (onClose) onClose(event, handle);
      if (stopped) return;
      // Codes 4401/4403/4404 mean "not allowed here": retrying would not help.
      if (event.code >= 4400 && event.code < 4500) { stopped = true; showState("refused"); return; }
      showState("closed");
      const base = Math.min(maxDelay, 500 * 2 ** attempt);
      attempt += 1;
      timer = setTimeout(connect, base / 2 + Math.random() * base / 2);
    });
  }

  const handle = {
    send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(message));
        return true;
      }
      return false;
    },
    close() { stopped = true; clearTimeout(timer); if (socket) socket.close(); },
    get connected() { return Boolean(socket) && socket.readyState === WebSocket.OPEN; },
  };
  connect();
  return handle;
}

// The page's socket, at the path in element.dataset.socketPath.
export function connectPage(element, options = {}) {
  const path = element && element.dataset.socketPath;
  if (!path) throw new Error("connectPage: the element has no data-socket-path");
  return openSocket(path, options);
}
