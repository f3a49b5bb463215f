// The read-only lists: deleted certificates, issuers (never a secret: the API leaves them
// out), contacts, ACME accounts and orders, and the notifications outbox. Each fetches once,
// pages through `next` where the API pages, and the outbox follows live notification events.

import { api, sameOrigin, vaultQuery } from './api.js';
import { badge, emptyRow, fill, h, refresher, showError, table, timeEl } from './dom.js';
import { certLink } from './page_certificates.js';

/** A paged table: `fetchPage(cursor)` → `{rows: [tr], next}`. */
function pagedTable(caption, columns, fetchPage, emptyText) {
  const tbody = h('tbody', null, emptyRow(columns.length, 'Loading…'));
  const prev = h('button', { type: 'button', disabled: true }, '← Previous');
  const next = h('button', { type: 'button', disabled: true }, 'Next →');
  const cursors = [null];
  let index = 0;
  let nextCursor = null;
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const page = await fetchPage(cursors[index]);
    if (mine !== seq) return;
    nextCursor = page.next ?? null;
    prev.disabled = index === 0;
    next.disabled = !nextCursor;
    fill(tbody, page.rows.length ? page.rows : emptyRow(columns.length, emptyText));
  };
  const reload = () => load().catch((e) => {
    fill(tbody, emptyRow(columns.length, 'Could not load (see the message above).'));
    showError(e);
  });
  next.addEventListener('click', () => {
    if (!nextCursor) return;
    cursors.splice(index + 1, cursors.length, nextCursor);
    index += 1;
    reload();
  });
  prev.addEventListener('click', () => {
    if (index === 0) return;
    index -= 1;
    reload();
  });
  reload();
  const pager = h('div', { class: 'pager' }, prev, next);
  return { node: [table(caption, columns, tbody), pager], reload: load, stop: () => { seq += 1; } };
}

const yesNo = (v) => (v === false ? 'no' : v === true ? 'yes' : '—');

export function mountDeleted({ el, vault }) {
  const cols = ['Name', 'Deleted', 'Scheduled purge', 'Recovery level'];
  const t = pagedTable('Deleted certificates', cols, async (cursor) => {
    const doc = await api('/_admin/deleted', { query: { ...vaultQuery(vault), cursor, limit: 50 } });
    const rows = (doc?.value ?? []).map((d) => h('tr', { 'data-testid': 'deleted-row', dataset: { name: d.name ?? '' } },
      h('th', { scope: 'row' }, d.name ?? '—'),
      h('td', null, timeEl(d.deleted)),
      h('td', null, timeEl(d.scheduledPurge)),
      h('td', null, d.recoveryLevel ?? '—')));
    return { rows, next: doc?.next };
  }, 'No deleted certificates.');
  el.append(h('h1', null, 'Deleted certificates'), ...t.node);
  return { unmount: t.stop, onLive: (kind) => { if (kind === 'reconnect') t.reload().catch(showError); } };
}

export function mountIssuers({ el, vault }) {
  const cols = ['Name', 'Provider', 'Account id', 'Organization id', 'Enabled', 'Created', 'Updated'];
  const tbody = h('tbody', null, emptyRow(cols.length, 'Loading…'));
  el.append(h('h1', null, 'Issuers'),
    h('p', { class: 'hint' }, 'Credentials (passwords, API keys) are never shown.'),
    table('Issuers', cols, tbody));
  api('/_admin/issuers', { query: vaultQuery(vault) }).then((doc) => {
    const rows = (doc?.value ?? []).map((i) => h('tr', { 'data-testid': 'issuer-row', dataset: { name: i.name ?? '' } },
      h('th', { scope: 'row' }, i.name ?? '—'),
      h('td', null, i.provider ?? '—'),
      h('td', null, i.account_id ?? '—'),
      h('td', null, i.org_id ?? '—'),
      h('td', null, yesNo(i.enabled)),
      h('td', null, timeEl(i.created)),
      h('td', null, timeEl(i.updated))));
    fill(tbody, rows.length ? rows : emptyRow(cols.length, 'No issuers.'));
  }).catch(showError);
  return {};
}

export function mountContacts({ el, vault }) {
  const cols = ['Email', 'Name', 'Phone'];
  const tbody = h('tbody', null, emptyRow(cols.length, 'Loading…'));
  el.append(h('h1', null, 'Contacts'), table('Contacts', cols, tbody));
  api('/_admin/contacts', { query: vaultQuery(vault) }).then((doc) => {
    const rows = (doc?.value ?? []).map((c) => h('tr', { 'data-testid': 'contact-row' },
      h('th', { scope: 'row' }, c.email ?? '—'),
      h('td', null, c.name ?? '—'),
      h('td', null, c.phone ?? '—')));
    fill(tbody, rows.length ? rows : emptyRow(cols.length, 'No contacts.'));
  }).catch(showError);
  return {};
}

export function mountAcme({ el }) {
  const ordCols = ['Order', 'Status', 'Identifiers', 'Account', 'Created', 'Updated', 'Expires'];
  const orders = pagedTable('ACME orders', ordCols, async (cursor) => {
    // The ACME gateway serves the vault its host names; `next` links are absolute.
    const target = cursor ? sameOrigin(cursor) : { path: '/_admin/acme/orders', query: { limit: 50 } };
    if (!target) return { rows: [], next: null };
    const doc = await api(target.path, { query: target.query });
    const rows = (doc?.orders ?? []).map((o) => h('tr', { 'data-testid': 'acme-order-row', dataset: { id: o.id ?? '' } },
      h('th', { scope: 'row' }, h('code', null, o.id ?? '—')),
      h('td', null, badge(o.status ?? '—', o.status)),
      h('td', null, (o.identifiers ?? []).map((i) => `${i.value}`).join(', ') || '—'),
      h('td', null, h('code', null, shortId(o.account))),
      h('td', null, timeEl(o.created)),
      h('td', null, timeEl(o.updated)),
      h('td', null, timeEl(o.expires))));
    return { rows, next: doc?.next };
  }, 'No ACME orders.');
  const accCols = ['Account', 'Status', 'Contact', 'Created'];
  const accounts = pagedTable('ACME accounts', accCols, async (cursor) => {
    // `next` is the last account's id, passed back as `cursor`.
    const query = cursor ? { limit: 50, cursor } : { limit: 50 };
    const doc = await api('/_admin/acme/accounts', { query });
    const rows = (doc?.value ?? []).map((a) => h('tr', { 'data-testid': 'acme-account-row', dataset: { id: a.id ?? '' } },
      h('th', { scope: 'row' }, h('code', null, a.id ?? '—')),
      h('td', null, badge(a.status ?? '—', a.status)),
      h('td', null, (a.contact ?? []).join(', ') || '—'),
      h('td', null, timeEl(a.created))));
    return { rows, next: doc?.next };
  }, 'No ACME accounts.');
  el.append(h('h1', null, 'ACME'),
    h('p', { class: 'hint' }, "The ACME gateway's accounts and orders, of the vault this page's address names (ACME serves a vault by its host name)."),
    h('h2', null, 'Orders'), ...orders.node,
    h('h2', null, 'Accounts'), ...accounts.node);
  return { unmount: () => { orders.stop?.(); accounts.stop?.(); } };
}

function shortId(url) {
  const s = String(url ?? '—');
  return s.slice(s.lastIndexOf('/') + 1) || s;
}

export function mountOutbox({ el, vault }) {
  const cols = ['Created', 'To', 'Kind', 'Certificate', 'Status', 'Attempts', 'Subject'];
  const tbody = h('tbody', null, emptyRow(cols.length, 'Loading…'));
  const relay = h('p', { class: 'hint' }, '');
  el.append(h('h1', null, 'Notifications outbox'), relay, table('Notifications', cols, tbody));
  const load = async () => {
    const doc = await api('/_admin/notifications', { query: vaultQuery(vault) });
    relay.textContent = doc?.smtp ? `Delivered through SMTP relay ${doc.smtp}.` : 'No SMTP relay configured: mails stay in the outbox.';
    // Newest first: what just happened is on top.
    const value = [...(doc?.value ?? [])].reverse();
    const rows = value.map((n) => h('tr', { 'data-testid': 'outbox-row', dataset: { id: String(n.id ?? '') } },
      h('td', null, timeEl(n.created_at)),
      h('td', null, n.recipient ?? '—'),
      h('td', null, n.kind ?? '—'),
      h('td', null, n.certificate ? h('a', { href: certLink(vault, n.certificate) }, n.certificate) : '—',
        n.version ? h('span', { class: 'muted' }, ` ${String(n.version).slice(0, 8)}`) : null),
      h('td', null, badge(n.status ?? '—', n.status), n.last_error ? h('div', { class: 'kv err' }, h('span', { class: 'v' }, n.last_error)) : null),
      h('td', { class: 'num' }, String(n.attempts ?? 0)),
      h('td', null, h('details', null, h('summary', null, n.subject ?? '(no subject)'), h('pre', { class: 'body' }, n.body ?? '')))));
    fill(tbody, rows.length ? rows : emptyRow(cols.length, 'The outbox is empty.'));
  };
  load().catch(showError);
  const refresh = refresher(load, 1000);
  return {
    onLive(kind, data) {
      if (kind === 'reconnect') return refresh();
      const sameVault = !vault || String(data?.vault).toLowerCase() === vault.toLowerCase();
      if (kind === 'timeline' && sameVault && String(data?.kind ?? '').startsWith('notification_')) refresh();
    },
    unmount: () => refresh.stop(),
  };
}
