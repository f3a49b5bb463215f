// DOM helpers the pages share: element building (DOM calls only, so nothing from the API is
// ever parsed as markup), time formatting, error display and rate limiting of refreshes.

/** `h('td', {class: 'x', dataset: {name}}, child, ...)`: an element with attributes and children. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An ISO time as `YYYY-MM-DD HH:MM:SSZ` (with milliseconds when `ms`), UTC like the API. */
export function fmtTime(iso, ms = false) {
  if (iso === null || iso === undefined || iso === '') return '—';
  const d = typeof iso === 'number' ? new Date(iso * 1000) : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const s = d.toISOString().replace('T', ' ');
  return ms ? s : s.replace(/\.\d{3}Z$/, 'Z');
}

/** A `<time>` element for an ISO time. */
export function timeEl(iso, ms = false) {
  return h('time', { datetime: iso || null, class: 'nowrap' }, fmtTime(iso, ms));
}

/** An ISO time of seconds since the epoch, as the API writes `now_iso` (no fraction). */
export function isoSeconds(epochMs) {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A status badge; the class picks its colours. */
export function badge(text, cls, attrs = {}) {
  return h('span', { ...attrs, class: `badge ${cls ?? String(text)}` }, String(text ?? '—'));
}

/** Tags `{k: v}` as small boxes. */
export function tagList(tags) {
  const entries = Object.entries(tags || {});
  if (!entries.length) return h('span', { class: 'muted' }, '—');
  return entries.map(([k, v]) => h('span', { class: 'tag' }, `${k}=${v}`));
}

/** A table in its scrolling wrapper: `head` is a list of column names, `rows` a tbody. */
export function table(caption, head, tbody) {
  return h('div', { class: 'table-wrap' },
    h('table', null,
      caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
      h('thead', null, h('tr', null, head.map((c) => h('th', { scope: 'col' }, c)))),
      tbody));
}

/** A row spanning every column, for "nothing here" and "loading". */
export function emptyRow(cols, text) {
  return h('tr', null, h('td', { class: 'empty', colspan: cols }, text));
}

/** Shows an error in the page's alert region (never the console: the page must stay clean). */
export function showError(message) {
  const box = document.getElementById('errors');
  if (!box) return;
  const text = String(message?.message ?? message);
  for (const p of box.querySelectorAll('.error-msg p')) {
    if (p.textContent === text) return;
  }
  const item = h('div', { class: 'error-msg' },
    h('p', null, text),
    h('button', { type: 'button', class: 'small', onclick: () => item.remove() }, 'Dismiss'));
  box.append(item);
  while (box.children.length > 5) box.firstElementChild.remove();
}

/** Clears the alert region (on navigation). */
export function clearErrors() {
  document.getElementById('errors')?.replaceChildren();
}

/** `fn` called `ms` after the last call. */
export function debounce(fn, ms) {
  let t = null;
  const wrapped = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(t);
  return wrapped;
}

/**
 * Runs the async `fn` at most once per `ms`, never two at a time; calls arriving meanwhile
 * collapse into one run after. So a burst of live events costs one refresh a second.
 */
export function refresher(fn, ms = 1000) {
  let running = false;
  let queued = false;
  let last = 0;
  let timer = null;
  let stopped = false;
  const run = async () => {
    timer = null;
    if (stopped) return;
    running = true;
    queued = false;
    last = Date.now();
    try {
      await fn();
    } catch (e) {
      showError(e);
    } finally {
      running = false;
      if (queued) schedule();
    }
  };
  const schedule = () => {
    if (stopped) return;
    if (running) { queued = true; return; }
    if (timer) return;
    timer = setTimeout(run, Math.max(0, last + ms - Date.now()));
  };
  schedule.stop = () => { stopped = true; clearTimeout(timer); };
  return schedule;
}
