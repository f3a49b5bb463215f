// `#/certificates`: the vault's certificates, 50 a page, searched and paged by the server
// (keyset cursors), so 10,000 certificates cost one small page. Live `certificate` events
// mark the row they name and refresh the page at most once a second; nothing else re-renders.

import { api, vaultQuery } from './api.js';
import { badge, debounce, emptyRow, fill, h, refresher, showError, table, tagList, timeEl } from './dom.js';

const PAGE = 50;
const STATUSES = ['', 'inProgress', 'completed', 'failed', 'cancelled'];
const COLUMNS = ['Name', 'Status', 'Issuer', 'Expires', 'Updated', 'Enabled', 'Tags'];

/** `#/certificate/{vault}/{name}` */
export function certLink(vault, name) {
  return `#/certificate/${encodeURIComponent(vault ?? '~')}/${encodeURIComponent(name)}`;
}

export function mount({ el, vault }) {
  // Paging state: the cursors of the pages seen so far (index 0: the first page).
  const view = { cursors: [null], index: 0, next: null, q: '', status: '', seq: 0 };

  const search = h('input', { id: 'cert-search', type: 'search', autocomplete: 'off', spellcheck: 'false', placeholder: 'name or tag value' });
  const statusSel = h('select', { id: 'cert-status-filter' },
    STATUSES.map((s) => h('option', { value: s }, s || 'any')));
  const total = h('span', { 'data-testid': 'cert-total' }, '…');
  const pageNo = h('span', null, '');
  const prev = h('button', { id: 'page-prev', type: 'button', disabled: true }, '← Previous');
  const next = h('button', { id: 'page-next', type: 'button', disabled: true }, 'Next →');
  const tbody = h('tbody', null, emptyRow(COLUMNS.length, 'Loading…'));
  const rows = new Map(); // name → tr

  el.append(
    h('h1', null, 'Certificates'),
    h('div', { class: 'toolbar', role: 'search' },
      h('div', { class: 'field' }, h('label', { for: 'cert-search' }, 'Search certificates'), search),
      h('div', { class: 'field' }, h('label', { for: 'cert-status-filter' }, 'Status'), statusSel),
      h('p', { class: 'muted' }, total, ' certificates', pageNo)),
    table('Certificates', COLUMNS, tbody),
    h('div', { class: 'pager' }, prev, next));

  const load = async () => {
    const seq = ++view.seq;
    const doc = await api('/_admin/certificates', {
      query: { ...vaultQuery(vault), q: view.q, status: view.status, cursor: view.cursors[view.index], limit: PAGE },
    });
    if (seq !== view.seq) return; // a newer request superseded this one
    const value = Array.isArray(doc?.value) ? doc.value : [];
    view.next = doc?.next ?? null;
    total.textContent = String(doc?.total ?? value.length);
    pageNo.textContent = ` · page ${view.index + 1}`;
    prev.disabled = view.index === 0;
    next.disabled = !view.next;
    rows.clear();
    const trs = value.map((c) => row(vault, c));
    for (const tr of trs) rows.set(tr.dataset.name.toLowerCase(), tr);
    fill(tbody, trs.length ? trs : emptyRow(COLUMNS.length, view.q || view.status ? 'No certificate matches.' : 'No certificates yet.'));
  };
  const reload = () => load().catch(showError);
  const refresh = refresher(load, 1000);

  const restart = () => {
    view.cursors = [null];
    view.index = 0;
    reload();
  };
  const onSearch = debounce(() => {
    view.q = search.value.trim();
    restart();
  }, 300);
  search.addEventListener('input', onSearch);
  statusSel.addEventListener('change', () => {
    view.status = statusSel.value;
    restart();
  });
  next.addEventListener('click', () => {
    if (!view.next) return;
    view.cursors = view.cursors.slice(0, view.index + 1);
    view.cursors.push(view.next);
    view.index += 1;
    reload();
  });
  prev.addEventListener('click', () => {
    if (view.index === 0) return;
    view.index -= 1;
    reload();
  });

  reload();

  return {
    onLive(kind, data) {
      if (kind === 'reconnect') return refresh();
      if (kind !== 'certificate' || (vault && String(data?.vault).toLowerCase() !== vault.toLowerCase())) return;
      rows.get(String(data?.name).toLowerCase())?.classList.add('changed');
      refresh();
    },
    unmount() {
      onSearch.cancel();
      refresh.stop();
      view.seq += 1;
    },
  };
}

function row(vault, c) {
  const name = String(c.name ?? '');
  const status = c.status ?? 'completed';
  return h('tr', { 'data-testid': 'cert-row', dataset: { name } },
    h('th', { scope: 'row' }, h('a', { href: certLink(vault, name) }, name)),
    h('td', null, badge(status, status, { 'data-testid': 'cert-status' })),
    h('td', null, c.issuer ?? '—'),
    h('td', null, timeEl(c.expires)),
    h('td', null, timeEl(c.updated ?? c.created)),
    h('td', null, c.enabled === false ? 'no' : 'yes'),
    h('td', null, tagList(c.tags)));
}
