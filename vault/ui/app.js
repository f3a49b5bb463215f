// The vault dashboard's shell: hash routes, the vault picker, the header clock and the live
// stream, and the page in view. Each page is a module with `mount(ctx)` that returns
// `{ onLive(kind, data), unmount() }`; only the page in view hears live events.

import { api } from './api.js';
import { clearErrors, h, showError } from './dom.js';
import { onLive, startLive } from './live.js';
import { refreshClock, setClock, startTicking } from './clockstate.js';
import * as certificates from './page_certificates.js';
import * as certificate from './page_certificate.js';
import * as lists from './page_lists.js';
import * as clock from './page_clock.js';
import * as requests from './page_requests.js';

const PAGES = {
  certificates: certificates.mount,
  certificate: certificate.mount,
  deleted: lists.mountDeleted,
  issuers: lists.mountIssuers,
  contacts: lists.mountContacts,
  acme: lists.mountAcme,
  outbox: lists.mountOutbox,
  clock: clock.mount,
  requests: requests.mount,
};

const state = {
  vaults: [], // [{name, default, hosts}]
  vault: null, // the vault in view (its name), null until known
  page: null, // the mounted page
  route: null,
};

/** `#/certificate/v/n` → `['certificate', 'v', 'n']` (decoded; bad escapes kept as typed). */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const parts = raw ? raw.split('/') : [];
  return parts.map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
}

function render(focus) {
  let [route, ...params] = parseHash();
  if (!PAGES[route]) route = 'certificates';
  if (route === 'certificate' && params.length >= 2 && params[0] !== state.vault) {
    // A certificate link names its vault: follow it.
    if (state.vaults.some((v) => v.name === params[0])) setVault(params[0], false);
  }
  if (state.page) {
    try { state.page.unmount?.(); } catch (e) { showError(e); }
  }
  clearErrors();
  for (const a of document.querySelectorAll('nav a[data-route]')) {
    const current = a.dataset.route === route || (route === 'certificate' && a.dataset.route === 'certificates');
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const main = document.getElementById('main');
  main.replaceChildren();
  state.route = route;
  try {
    state.page = PAGES[route]({ el: main, vault: state.vault, params, vaults: state.vaults });
  } catch (e) {
    state.page = null;
    showError(e);
  }
  if (focus) {
    // Move focus to the new page's heading, so keyboard and screen-reader users land there.
    const h1 = main.querySelector('h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: false });
    }
  }
}

function setVault(name, rerender = true) {
  state.vault = name;
  const picker = document.getElementById('vault-picker');
  if (picker && picker.value !== name) picker.value = name;
  try { sessionStorage.setItem('vault', name); } catch { /* storage off: fine */ }
  if (rerender) {
    if (state.route === 'certificate') location.hash = '#/certificates';
    else render(false);
  }
}

async function loadVaults() {
  try {
    const doc = await api('/_admin/vaults');
    state.vaults = Array.isArray(doc?.value) ? doc.value : [];
  } catch (e) {
    showError(e);
    state.vaults = [];
  }
  let saved = null;
  try { saved = sessionStorage.getItem('vault'); } catch { saved = null; }
  const names = state.vaults.map((v) => v.name);
  const fallback = state.vaults.find((v) => v.default)?.name ?? names[0] ?? null;
  state.vault = names.includes(saved) ? saved : fallback;
  const pick = document.getElementById('vault-pick');
  const picker = document.getElementById('vault-picker');
  if (state.vaults.length > 1 && picker && pick) {
    picker.replaceChildren(...state.vaults.map((v) =>
      h('option', { value: v.name }, v.default ? `${v.name} (default)` : v.name)));
    picker.value = state.vault;
    picker.addEventListener('change', () => setVault(picker.value));
    pick.hidden = false;
  }
}

async function start() {
  document.addEventListener('live-error', (ev) => showError(ev.detail));
  window.addEventListener('unhandledrejection', (ev) => {
    ev.preventDefault();
    showError(ev.reason);
  });
  onLive((kind, data) => {
    if (kind === 'clock') setClock(data);
    if (kind === 'reconnect') refreshClock(showError);
    state.page?.onLive?.(kind, data);
  });
  startLive(document.querySelector('[data-testid="live"]'));
  startTicking();
  await Promise.all([loadVaults(), refreshClock(showError)]);
  window.addEventListener('hashchange', () => render(true));
  render(false);
}

start();
