// The live stream: one `EventSource` on `/_admin/events` (the admin cookie goes along), fanned
// out to whoever listens. It reconnects by itself; after a reconnect listeners get a
// `reconnect` event so pages can fetch what they missed. The header's indicator
// (`[data-testid="live"]`) carries the state: `connecting`, `open` or `closed`.

const KINDS = ['timeline', 'request', 'certificate', 'clock'];
const listeners = new Set();
let source = null;
let opened = false;
let retryMs = 1000;
let timer = null;

/** Calls `fn(kind, data)` for every live event; returns the function that stops it. */
export function onLive(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(kind, data) {
  for (const fn of [...listeners]) {
    try {
      fn(kind, data);
    } catch (e) {
      // A page's handler failing must not stop the others (shown by the page itself).
      listeners.delete(fn);
      document.dispatchEvent(new CustomEvent('live-error', { detail: e }));
    }
  }
}

function setState(indicator, state) {
  indicator.dataset.state = state;
  const text = indicator.querySelector('.live-text');
  if (text) text.textContent = { open: 'live', connecting: 'connecting…', closed: 'offline, retrying' }[state];
}

/** Opens the stream (once). */
export function startLive(indicator) {
  if (source) return;
  const connect = () => {
    timer = null;
    setState(indicator, 'connecting');
    source = new EventSource('/_admin/events');
    source.addEventListener('open', () => {
      setState(indicator, 'open');
      retryMs = 1000;
      if (opened) emit('reconnect', null);
      opened = true;
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (the server refused the stream): try again, slower each time.
        source.close();
        setState(indicator, 'closed');
        if (!timer) timer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 15000);
      } else {
        setState(indicator, 'connecting');
      }
    });
    for (const kind of KINDS) {
      source.addEventListener(kind, (ev) => {
        let data;
        try { data = JSON.parse(ev.data); } catch { return; }
        emit(kind, data);
      });
    }
  };
  connect();
}
