// `#/clock`: the service's clock, which every vault shares. "Advance by" takes `90d`, `12h`,
// `30m`, `45s`, combinations (`1d12h`) or plain seconds (negative goes back); "Set to" takes a
// UTC date and time. Moving the clock wakes the schedulers (lifetime actions fire live).

import { api } from './api.js';
import { h, showError } from './dom.js';
import { human, offset, serviceNowMs, setClock, watchClock } from './clockstate.js';

const UNITS = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };

/** Seconds of a duration text (`90d`, `1d12h`, `-2h`, `3600`), or null when it is not one. */
export function parseDuration(text) {
  const t = String(text).trim().toLowerCase().replace(/\s+/g, '');
  if (!t) return null;
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[-+]/, '');
  if (/^\d+(\.\d+)?$/.test(body)) return sign * Math.round(Number(body));
  if (!/^(\d+(\.\d+)?[wdhms])+$/.test(body)) return null;
  let total = 0;
  for (const [, n, unit] of body.matchAll(/(\d+(?:\.\d+)?)([wdhms])/g)) total += Number(n) * UNITS[unit];
  return sign * Math.round(total);
}

export function mount({ el }) {
  const now = h('time', { id: 'clock-now', class: 'big-clock' }, '…');
  const off = h('p', { class: 'muted' }, '');
  const advance = h('input', { id: 'clock-advance', type: 'text', inputmode: 'text', autocomplete: 'off', placeholder: '90d, 12h, 30m, 45s', 'aria-describedby': 'clock-advance-hint' });
  const advanceBtn = h('button', { id: 'clock-advance-btn', type: 'submit' }, 'Advance');
  const set = h('input', { id: 'clock-set', type: 'datetime-local', step: '1', 'aria-describedby': 'clock-set-hint' });
  const setBtn = h('button', { id: 'clock-set-btn', type: 'submit' }, 'Set');
  const status = h('p', { class: 'hint', role: 'status' }, '');

  const advanceBy = async (seconds) => {
    const doc = await api('/_admin/clock/advance', { method: 'POST', body: { seconds } });
    setClock(doc);
    status.textContent = `Moved ${human(seconds)}; now ${doc?.now_iso ?? ''}.`;
  };

  const advanceForm = h('form', { class: 'inline', 'aria-labelledby': 'adv-h' },
    h('div', { class: 'field' }, h('label', { for: 'clock-advance' }, 'Advance by'), advance),
    advanceBtn,
    h('p', { id: 'clock-advance-hint', class: 'hint' }, 'e.g. 90d, 12h, 30m, 45s, 1d12h, or seconds; a leading − goes back.'));
  advanceForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const seconds = parseDuration(advance.value);
    if (seconds === null) {
      showError(`"${advance.value}" is not a duration: use 90d, 12h, 30m, 45s or a number of seconds.`);
      advance.focus();
      return;
    }
    advanceBtn.disabled = true;
    advanceBy(seconds).catch(showError).finally(() => { advanceBtn.disabled = false; });
  });

  const setForm = h('form', { class: 'inline', 'aria-labelledby': 'set-h' },
    h('div', { class: 'field' }, h('label', { for: 'clock-set' }, 'Set to'), set),
    setBtn,
    h('p', { id: 'clock-set-hint', class: 'hint' }, 'A date and time in UTC.'));
  setForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const target = Date.parse(`${set.value}Z`);
    if (!set.value || Number.isNaN(target)) {
      showError('Pick a date and time to set the clock to.');
      set.focus();
      return;
    }
    // The offset that makes now equal the target: target − (service now − current offset).
    const system = serviceNowMs() / 1000 - offset();
    const offsetSeconds = Math.round(target / 1000 - system);
    setBtn.disabled = true;
    api('/_admin/clock', { method: 'PUT', body: { offset_seconds: offsetSeconds } })
      .then((doc) => {
        setClock(doc);
        status.textContent = `Set; now ${doc?.now_iso ?? ''}.`;
      })
      .catch(showError)
      .finally(() => { setBtn.disabled = false; });
  });

  const quick = h('div', { class: 'quick' },
    ['1h', '1d', '7d', '30d', '90d'].map((d) => h('button', {
      type: 'button',
      onclick: () => advanceBy(parseDuration(d)).catch(showError),
    }, `+${d}`)),
    h('button', {
      type: 'button',
      onclick: () => api('/_admin/clock', { method: 'PUT', body: { offset_seconds: 0 } })
        .then((doc) => { setClock(doc); status.textContent = 'Back to the system clock.'; })
        .catch(showError),
    }, 'Reset to system time'));

  el.append(
    h('h1', null, 'Clock'),
    h('p', null, 'Now: ', now), off,
    h('h2', { id: 'adv-h' }, 'Advance'), advanceForm, quick,
    h('h2', { id: 'set-h' }, 'Set'), setForm,
    status);

  const show = (iso) => {
    now.textContent = iso;
    now.setAttribute('datetime', iso);
    const o = offset();
    off.textContent = o ? `${human(o)} from the system clock.` : 'On the system clock.';
    if (!set.value && document.activeElement !== set) set.value = iso.replace(/Z$/, '');
  };
  const unwatch = watchClock(show);
  return { unmount: unwatch };
}
