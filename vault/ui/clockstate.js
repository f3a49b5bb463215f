// The service's clock as the page knows it: fetched from `/_admin/clock`, updated by live
// `clock` events, ticking locally in between. The header (`#header-clock`) and the clock page
// (`#clock-now`) show it in the API's own `now_iso` form.

import { api } from './api.js';
import { isoSeconds } from './dom.js';

let skewMs = 0; // service now − browser now
let offsetSeconds = 0; // the service clock's offset from its system clock
let known = false;
const watchers = new Set();

/** Takes a clock document (`{now, now_iso, offset_seconds}`). */
export function setClock(doc) {
  if (!doc || typeof doc.now !== 'number') return;
  skewMs = doc.now * 1000 - Date.now();
  offsetSeconds = Number(doc.offset_seconds) || 0;
  known = true;
  render();
}

/** The service's now, milliseconds since the epoch (rounded down to its seconds). */
export function serviceNowMs() {
  return Math.floor((Date.now() + skewMs) / 1000) * 1000;
}

export function offset() {
  return offsetSeconds;
}

/** Calls `fn()` on every tick and change; returns the function that stops it. */
export function watchClock(fn) {
  watchers.add(fn);
  return () => watchers.delete(fn);
}

/** `3d 4h` for an offset in seconds (signed). */
export function human(seconds) {
  const sign = seconds < 0 ? '−' : '+';
  let s = Math.abs(Math.round(seconds));
  const parts = [];
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]]) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${unit}`);
      s %= n;
    }
  }
  return parts.length ? sign + parts.join(' ') : '0s';
}

function render() {
  if (!known) return;
  const iso = isoSeconds(serviceNowMs());
  const header = document.getElementById('header-clock');
  if (header) {
    header.textContent = iso;
    header.setAttribute('datetime', iso);
  }
  const off = document.getElementById('header-offset');
  if (off) off.textContent = offsetSeconds ? `(${human(offsetSeconds)})` : '';
  for (const fn of [...watchers]) fn(iso);
}

/** Fetches the clock now; errors go to `onError`. */
export async function refreshClock(onError) {
  try {
    setClock(await api('/_admin/clock'));
  } catch (e) {
    onError(e);
  }
}

/** Starts the one-second tick. */
export function startTicking() {
  setInterval(render, 1000);
}
