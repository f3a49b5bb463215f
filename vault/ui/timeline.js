// One operation timeline as an ordered list (`ol[data-testid="timeline"]`): events keyed by
// their `seq`, so the first fetch and live events can arrive in any order without duplicates.
// Each item shows the time, the time since the previous event, the kind and its details
// (the CA's order id and answer, errors, back-offs).

import { fill, fmtTime, h } from './dom.js';

const TONE = {
  completed: 'good', chain_checked: 'good', imported: 'good', notification_delivered: 'good',
  failed: 'bad', fault: 'bad', cancelled: 'bad', notification_failed: 'bad',
  retry: 'warn', cancel_requested: 'warn',
};
/** Kinds that start a new operation, drawn with a gap above (an AutoRenew's `created` comes
 * before its `renewal_started`). */
const STARTS = new Set(['created']);
/** Readable names of detail fields; the rest show under their own name. */
const LABELS = {
  ca_order_id: 'CA order', ca_status: 'CA answered', backoff_seconds: 'back-off',
  http_status: 'HTTP status', chain_length: 'chain length', new_version: 'new version',
  reused: 'key reused', kty: 'key type',
};
const ERROR_KEYS = new Set(['error', 'message', 'code']);

export class Timeline {
  constructor() {
    this.events = new Map(); // seq → event
    this.maxSeq = 0;
    this.list = h('ol', { class: 'timeline', 'data-testid': 'timeline', 'aria-live': 'polite', 'aria-relevant': 'additions' });
    this.empty = h('p', { class: 'muted' }, 'No events recorded yet.');
  }

  /** Adds events (any order, duplicates ignored); returns whether any was new. */
  add(events, fresh = false) {
    let appendOnly = true;
    const added = [];
    for (const ev of events) {
      const seq = Number(ev?.seq);
      if (!Number.isFinite(seq) || this.events.has(seq)) continue;
      if (seq < this.maxSeq) appendOnly = false;
      this.events.set(seq, ev);
      this.maxSeq = Math.max(this.maxSeq, seq);
      added.push(ev);
    }
    if (!added.length) return false;
    if (appendOnly) {
      added.sort((a, b) => a.seq - b.seq);
      let prev = this.list.lastElementChild?.dataset.at ?? null;
      for (const ev of added) {
        this.list.append(item(ev, prev, fresh));
        prev = ev.at;
      }
    } else {
      this.rerender();
    }
    this.empty.hidden = this.events.size > 0;
    return true;
  }

  rerender() {
    const sorted = [...this.events.values()].sort((a, b) => a.seq - b.seq);
    let prev = null;
    fill(this.list, sorted.map((ev) => {
      const li = item(ev, prev, false);
      prev = ev.at;
      return li;
    }));
  }

  /** The newest event matching `pred`, or null. */
  latest(pred) {
    let best = null;
    for (const ev of this.events.values()) {
      if (pred(ev) && (!best || ev.seq > best.seq)) best = ev;
    }
    return best;
  }
}

function item(ev, prevAt, fresh) {
  const kind = String(ev.kind ?? 'unknown');
  const classes = [TONE[kind] ?? '', STARTS.has(kind) ? 'op-start' : '', fresh ? 'fresh' : ''].filter(Boolean).join(' ');
  const li = h('li', { 'data-testid': 'timeline-event', class: classes || null, dataset: { kind, seq: String(ev.seq), at: ev.at ?? '' } },
    h('div', { class: 'ev-head' },
      h('time', { datetime: ev.at ?? null }, fmtTime(ev.at, true)),
      delta(prevAt, ev.at),
      h('span', { class: 'ev-kind' }, kind)),
    details(ev));
  if (fresh) setTimeout(() => li.classList.remove('fresh'), 4000);
  return li;
}

function delta(prevAt, at) {
  if (!prevAt || !at) return null;
  const ms = new Date(at) - new Date(prevAt);
  if (!Number.isFinite(ms)) return null;
  return h('span', { class: 'ev-delta' }, `+${span(ms)}`);
}

function span(ms) {
  if (ms < 1000) return `${Math.max(0, ms)}ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  if (s < 7200) return `${Math.round(s / 60)}min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)}h`;
  return `${(s / 86400).toFixed(1)}d`;
}

function details(ev) {
  const d = ev.detail && typeof ev.detail === 'object' ? ev.detail : {};
  const parts = Object.entries(d)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => h('span', { class: ERROR_KEYS.has(k) ? 'kv err' : 'kv' },
      h('span', { class: 'k' }, `${LABELS[k] ?? k}: `),
      h('span', { class: 'v' }, value(k, v))));
  if (ev.operation && STARTS.has(ev.kind)) {
    parts.push(h('span', { class: 'kv' }, h('span', { class: 'k' }, 'operation: '), h('code', { class: 'v' }, String(ev.operation))));
  }
  return parts.length ? h('div', { class: 'ev-detail' }, parts) : null;
}

function value(k, v) {
  if (k === 'backoff_seconds') return `${v}s`;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
