// `#/requests`: the live request log (method, path, status, latency), newest on top. The
// first screen comes from `/_admin/requests`, then live `request` events; filters apply to
// both. The dashboard's own `/_admin` requests are hidden unless asked for. At most 500 rows
// stay in the page, and live rows are added in batches (a load test sends thousands a second).

import { api } from './api.js';
import { badge, emptyRow, fill, h, showError, table, timeEl, debounce } from './dom.js';

const MAX_ROWS = 500;
const METHODS = ['', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];
const STATUS = [['', 'any'], ['2xx', '2xx'], ['3xx', '3xx'], ['4xx', '4xx'], ['5xx', '5xx']];
const COLUMNS = ['Time', 'Method', 'Path', 'Status', 'Latency (ms)', 'Vault'];

export function mount({ el }) {
  const path = h('input', { id: 'req-filter-path', type: 'search', autocomplete: 'off', spellcheck: 'false' });
  const method = h('select', { id: 'req-filter-method' }, METHODS.map((m) => h('option', { value: m }, m || 'any')));
  const status = h('select', { id: 'req-filter-status' }, STATUS.map(([v, t]) => h('option', { value: v }, t)));
  const showAdmin = h('input', { id: 'req-show-admin', type: 'checkbox' });
  const pause = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  const count = h('span', null, '0');
  const tbody = h('tbody', null, emptyRow(COLUMNS.length, 'Loading…'));
  let paused = false;
  let pending = []; // live entries not yet drawn
  let flushTimer = null;
  let seq = 0;

  el.append(
    h('h1', null, 'Requests'),
    h('form', { class: 'toolbar', role: 'search', onsubmit: (ev) => ev.preventDefault() },
      h('div', { class: 'field' }, h('label', { for: 'req-filter-path' }, 'Path contains'), path),
      h('div', { class: 'field' }, h('label', { for: 'req-filter-method' }, 'Method'), method),
      h('div', { class: 'field' }, h('label', { for: 'req-filter-status' }, 'Status'), status),
      h('div', { class: 'field inline' }, showAdmin, h('label', { for: 'req-show-admin' }, 'Show /_admin requests')),
      pause,
      h('p', { class: 'muted' }, count, ` shown (newest ${MAX_ROWS} at most)`)),
    table('Requests', COLUMNS, tbody));

  const matches = (r) => {
    const p = String(r?.path ?? '');
    if (!showAdmin.checked && (p === '/_admin' || p.startsWith('/_admin/'))) return false;
    if (method.value && r.method !== method.value) return false;
    if (status.value && String(r.status ?? '')[0] !== status.value[0]) return false;
    if (path.value && !p.toLowerCase().includes(path.value.trim().toLowerCase())) return false;
    return true;
  };
  const updateCount = () => {
    count.textContent = String(tbody.querySelectorAll('tr[data-testid="request-row"]').length);
  };

  const load = async () => {
    const mine = ++seq;
    pending = [];
    // The server filters what it can (method, status class, path); the admin filter is ours.
    const doc = await api('/_admin/requests', {
      query: { limit: 1000, method: method.value, status: status.value, path: path.value.trim() },
    });
    if (mine !== seq) return;
    const rows = (doc?.value ?? []).filter(matches).slice(0, MAX_ROWS).map(row);
    fill(tbody, rows.length ? rows : emptyRow(COLUMNS.length, 'No requests match.'));
    updateCount();
  };
  const reload = () => load().catch((e) => {
    fill(tbody, emptyRow(COLUMNS.length, 'Could not load the request log.'));
    showError(e);
  });

  const flush = () => {
    flushTimer = null;
    if (paused || !pending.length) return;
    const batch = pending.slice(-MAX_ROWS).reverse(); // newest first
    pending = [];
    tbody.querySelector('td.empty')?.parentElement.remove();
    tbody.prepend(...batch.map(row));
    while (tbody.children.length > MAX_ROWS) tbody.lastElementChild.remove();
    updateCount();
  };

  const refilter = debounce(reload, 300);
  path.addEventListener('input', refilter);
  for (const input of [method, status, showAdmin]) input.addEventListener('change', reload);
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused) flush();
  });

  reload();

  return {
    onLive(kind, data) {
      if (kind === 'reconnect') return reload();
      if (kind !== 'request' || !matches(data)) return;
      pending.push(data);
      if (pending.length > MAX_ROWS * 2) pending = pending.slice(-MAX_ROWS);
      if (!flushTimer && !paused) flushTimer = setTimeout(flush, 250);
    },
    unmount() {
      seq += 1;
      clearTimeout(flushTimer);
      refilter.cancel();
    },
  };
}

function row(r) {
  const s = Number(r.status) || 0;
  return h('tr', { 'data-testid': 'request-row', dataset: { method: r.method ?? '', status: String(s) } },
    h('td', null, timeEl(r.at, true)),
    h('td', null, r.method ?? '—'),
    h('td', { class: 'path' }, h('code', null, r.path ?? '—')),
    h('td', null, badge(String(s || '—'), `s${Math.floor(s / 100)}`)),
    h('td', { class: 'num' }, typeof r.latency_ms === 'number' ? r.latency_ms.toFixed(1) : '—'),
    h('td', null, r.vault ?? '—'));
}
