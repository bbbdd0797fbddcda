// A WebSocket that reconnects with jittered exponential backoff and shows its state
// in the header badge. Pages import { openSocket } from this module.
const badge = () => document.getElementById("connection-state");

function showState(state) {
  const el = badge();
  if (!el) return;
  const labels = { connecting: "Connecting…", open: "Live", closed: "Offline — retrying" };
  el.hidden = false;
  el.dataset.state = state;
  el.textContent = labels[state] || state;
}

export function openSocket(path, { onOpen, onMessage, onClose, maxDelay = 30000 } = {}) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  let socket = null;
  let attempt = 0;
  let stopped = false;
  let timer = null;

  function connect() {
    showState("connecting");
    socket = new WebSocket(`${scheme}://${window.location.host}${path}`);
    socket.addEventListener("open", () => {
      attempt = 0;
      showState("open");
      if (onOpen) onOpen(handle);
    });
    socket.addEventListener("message", (event) => {
      let data;
      try { data = JSON.parse(event.data); } catch { return; }
      if (onMessage) onMessage(data, handle);
    });
    socket.addEventListener("close", (event) => {
      if (onClose) onClose(event, handle);
      if (stopped) return;
      showState("closed");
      // Codes 4401/4403/4404 mean "not allowed here": retrying would not help.
      if (event.code >= 4400 && event.code < 4500) { stopped = true; return; }
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
