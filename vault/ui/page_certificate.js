// `#/certificate/{vault}/{name}`: one certificate: its operation (status, CA order id, error),
// the certificate and policy, its versions, and the timeline of everything that happened to it,
// kept live from `timeline` events for this certificate (no reload).

import { api, vaultQuery } from './api.js';
import { emptyRow, fill, h, refresher, showError, table, tagList, timeEl } from './dom.js';
import { Timeline } from './timeline.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export function mount({ el, params }) {
  const [vaultParam, name] = params;
  if (!name) {
    el.append(h('h1', null, 'Certificate'), h('p', null, 'No certificate named in the address. ', h('a', { href: '#/certificates' }, 'All certificates')));
    return {};
  }
  const vault = vaultParam && vaultParam !== '~' ? vaultParam : null;
  const query = { ...vaultQuery(vault), certificate: name };
  let doc = null; // the last `/_admin/certificates/{name}` document
  let alive = true;

  const timeline = new Timeline();
  const opStatus = h('span', { 'data-testid': 'op-status', class: 'badge' }, '…');
  const opFacts = h('dl', { class: 'facts' });
  const certFacts = h('dl', { class: 'facts' });
  const policyFacts = h('dl', { class: 'facts' });
  const versions = h('tbody', null, emptyRow(5, 'Loading…'));

  el.append(
    h('p', null, h('a', { href: '#/certificates' }, '← Certificates')),
    h('h1', null, name, vault ? h('span', { class: 'muted' }, ` in ${vault}`) : null),
    h('div', { class: 'cards' },
      h('section', { class: 'card', 'aria-labelledby': 'op-h' }, h('h2', { id: 'op-h' }, 'Operation ', opStatus), opFacts),
      h('section', { class: 'card', 'aria-labelledby': 'cert-h' }, h('h2', { id: 'cert-h' }, 'Certificate'), certFacts),
      h('section', { class: 'card', 'aria-labelledby': 'policy-h' }, h('h2', { id: 'policy-h' }, 'Policy'), policyFacts)),
    h('section', { 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h' }, 'Timeline'), timeline.empty, timeline.list),
    h('section', { 'aria-labelledby': 'ver-h' }, h('h2', { id: 'ver-h' }, 'Versions'),
      table('Versions', ['Version', 'Created', 'Expires', 'Thumbprint', 'Enabled'], versions)));

  // The operation's status: the newest event that sets one (created → inProgress, or how it
  // ended), so the end shows the moment its event arrives; the service's answer wins when it
  // is about the same operation and already ended, or names an operation no event told of yet.
  const showStatus = () => {
    const op = doc?.operation ?? null;
    const latest = timeline.latest((ev) => ev.kind === 'created' || TERMINAL.has(ev.kind));
    let status = op?.status ?? 'none';
    if (latest) {
      const fromEvent = latest.kind === 'created' ? 'inProgress' : latest.kind;
      const known = op?.request_id && timeline.latest((ev) => ev.operation === op.request_id);
      const sameOp = op?.request_id && latest.operation === op.request_id;
      if (!(op && (!known || (sameOp && TERMINAL.has(op.status))))) status = fromEvent;
    }
    opStatus.textContent = status;
    opStatus.className = `badge ${status}`;
    const ofOp = (ev) => !op?.request_id || !ev.operation || ev.operation === op.request_id;
    const submitted = timeline.latest((ev) => ev.kind === 'submitted' && ofOp(ev));
    const polled = timeline.latest((ev) => ev.kind === 'ca_polled' && ofOp(ev));
    fill(opFacts, facts([
      ['Request id', op?.request_id ? h('code', null, op.request_id) : null],
      ['Issuer', op?.issuer?.name],
      ['CA order id', submitted?.detail?.ca_order_id ? h('code', null, String(submitted.detail.ca_order_id)) : null],
      ['Last CA answer', polled ? [String(polled.detail?.ca_status ?? '—'), ' at ', timeEl(polled.at)] : null],
      ['Details', op?.status_details],
      ['Error', op?.error ? `${op.error.code ?? ''}: ${op.error.message ?? ''}` : null],
      ['Cancellation requested', op ? (op.cancellation_requested ? 'yes' : 'no') : null],
    ], op ? null : 'No pending operation.'));
  };

  const loadDoc = async () => {
    const d = await api(`/_admin/certificates/${encodeURIComponent(name)}`, { query: vaultQuery(vault) });
    if (!alive) return;
    doc = d;
    renderDoc(d);
    showStatus();
  };
  const renderDoc = (d) => {
    // The API lists versions oldest first; the newest is what a reader looks for.
    const vs = Array.isArray(d?.versions) ? [...d.versions].reverse() : [];
    const latest = vs[0];
    fill(certFacts, facts([
      ['Versions', String(vs.length)],
      ['Latest version', latest ? h('code', null, latest.version) : null],
      ['Expires', latest ? timeEl(latest.expires) : null],
      ['Enabled', latest ? (latest.enabled === false ? 'no' : 'yes') : null],
      ['Tags', tagList(d?.tags)],
    ]));
    fill(policyFacts, facts(policySummary(d?.policy)));
    fill(versions, vs.length ? vs.map((v) => h('tr', null,
      h('th', { scope: 'row' }, h('code', null, v.version ?? '—')),
      h('td', null, timeEl(v.created)),
      h('td', null, timeEl(v.expires)),
      h('td', null, h('code', null, v.thumbprint ?? '—')),
      h('td', null, v.enabled === false ? 'no' : 'yes'))) : emptyRow(5, 'No version yet (the operation has not completed).'));
  };
  const loadTimeline = async () => {
    const after = timeline.maxSeq || undefined;
    const tl = await api('/_admin/timeline', { query: { ...query, after } });
    if (!alive) return;
    if (timeline.add(Array.isArray(tl?.value) ? tl.value : [], after !== undefined)) showStatus();
  };
  const refreshDoc = refresher(loadDoc, 1000);

  loadDoc().catch((e) => {
    showError(e);
    opStatus.textContent = 'unknown';
  });
  loadTimeline().catch(showError);
  // A slow client can be skipped ahead by the stream (the service never waits for it): a
  // catch-up read now and then fills any gap.
  const resync = setInterval(() => loadTimeline().catch(showError), 15000);

  return {
    onLive(kind, data) {
      if (kind === 'reconnect') {
        loadTimeline().catch(showError);
        refreshDoc();
        return;
      }
      if (!data || (data.name === undefined && data.certificate === undefined)) return;
      // Vault and certificate names are case-insensitive (Key Vault's rule).
      const sameVault = !vault || lower(data.vault) === lower(vault);
      if (kind === 'timeline' && sameVault && lower(data.certificate) === lower(name)) {
        if (timeline.add([data], true)) showStatus();
        // The service's view (versions, policy, operation) follows, at most once a second.
        if (TERMINAL.has(data.kind) || data.kind === 'created' || data.kind === 'imported') refreshDoc();
      } else if (kind === 'certificate' && sameVault && lower(data.name) === lower(name)) {
        refreshDoc();
      }
    },
    unmount() {
      alive = false;
      clearInterval(resync);
      refreshDoc.stop();
    },
  };
}

const lower = (s) => String(s ?? '').toLowerCase();

/** `dt`/`dd` pairs, skipping empty values; `none` when nothing is left. */
function facts(pairs, none = null) {
  const out = [];
  for (const [k, v] of pairs) {
    if (v === null || v === undefined || v === '') continue;
    out.push(h('dt', null, k), h('dd', null, v));
  }
  if (!out.length && none) out.push(h('dd', { class: 'muted' }, none));
  return out;
}

/** The policy's gist as label/value pairs (Key Vault's policy JSON). */
function policySummary(p) {
  if (!p) return [['Policy', 'none']];
  const key = p.key_props ?? {};
  const x509 = p.x509_props ?? {};
  const sans = x509.sans ?? {};
  const names = [...(sans.dns_names ?? []), ...(sans.emails ?? []), ...(sans.upns ?? [])];
  const actions = (p.lifetime_actions ?? []).map((a) => {
    const t = a?.trigger ?? {};
    const when = t.lifetime_percentage !== undefined ? `at ${t.lifetime_percentage}% of lifetime` : t.days_before_expiry !== undefined ? `${t.days_before_expiry} days before expiry` : '';
    return `${a?.action?.action_type ?? '?'} ${when}`.trim();
  });
  return [
    ['Issuer', p.issuer?.name],
    ['Certificate type', p.issuer?.cty],
    ['Subject', x509.subject],
    ['Names', names.length ? names.join(', ') : null],
    ['Key', [key.kty, key.key_size ?? key.crv].filter(Boolean).join(' ') || null],
    ['Key reuse', key.reuse_key === undefined ? null : key.reuse_key ? 'yes' : 'no'],
    ['Exportable', key.exportable === undefined ? null : key.exportable ? 'yes' : 'no'],
    ['Validity', x509.validity_months ? `${x509.validity_months} months` : null],
    ['Content type', p.secret_props?.contentType],
    ['Lifetime actions', actions.length ? actions.join('; ') : 'none'],
  ];
}
