// keys.js - exchange and AI-provider keys: add, the masked list, test (with the result and a
// plain warning when the key can withdraw), delete with confirmation.  Secrets are sent once
// and the form is cleared; the server only ever answers with masked keys.
import * as api from './api.js';
import { h, field, say, errorText, when, card } from './ui.js';

const EXCHANGES = [['EXCHANGE_BINANCE', 'Binance'], ['EXCHANGE_BYBIT', 'Bybit'], ['EXCHANGE_OTHER', 'Other']];
const PROVIDERS = [['AI_PROVIDER_OPENAI', 'OpenAI'], ['AI_PROVIDER_ANTHROPIC', 'Anthropic'],
                   ['AI_PROVIDER_OPENAI_COMPATIBLE', 'OpenAI-compatible (own URL)']];
const label = (list, v) => (list.find(([k]) => k === v) || [v, v])[1];

function testResult(r) {
  const kids = [h('p', { class: r.ok ? 'ok' : 'error' },
                  r.ok ? `Key works (${r.latency_ms ?? r.latencyMs ?? '?'} ms).` : `Test failed: ${r.message || 'no detail'}`)];
  if (r.can_withdraw || r.canWithdraw)
    kids.push(h('p', { class: 'warn', role: 'alert' },
      'Warning: this key can WITHDRAW funds. A trading bot never needs that; create a key without ' +
      'withdrawal permission at your exchange and replace this one.'));
  if (r.permissions && r.permissions.length) kids.push(h('p', {}, `Permissions: ${r.permissions.join(', ')}`));
  for (const w of r.warnings || []) kids.push(h('p', { class: 'warn' }, w));
  return h('div', { class: 'testresult' }, kids);
}

function keyTable(kind, keys, reload) {
  if (!keys.length) return h('p', { class: 'hint' }, 'No keys yet.');
  const rows = keys.map((k) => {
    const out = h('td', { 'aria-live': 'polite' },
      k.last_test && k.last_test.tested_at ? `${k.last_test.ok ? 'OK' : 'failed'} ${when(k.last_test.tested_at)}` : 'never tested');
    const test = h('button', { type: 'button', class: 'secondary' }, 'Test');
    test.addEventListener('click', async () => {
      test.disabled = true;
      out.replaceChildren('Testing…');
      try { out.replaceChildren(testResult(await api.call('POST', '/api/v1/keys/test', { id: k.id }))); }
      catch (e) { out.replaceChildren(h('p', { class: 'error' }, errorText(e))); }
      test.disabled = false;
    });
    const del = h('button', { type: 'button', class: 'danger' }, 'Delete');
    del.addEventListener('click', async () => {
      if (!window.confirm(`Delete the key "${k.label || k.api_key_masked}"? This cannot be undone.`)) return;
      try { await api.call('DELETE', `/api/v1/keys/${kind}/${encodeURIComponent(k.id)}`); say('Key deleted.'); reload(); }
      catch (e) { say(errorText(e), 'error'); }
    });
    const what = kind === 'exchange'
      ? `${label(EXCHANGES, k.exchange)}${k.is_testnet ? ' (testnet)' : ''}`
      : `${label(PROVIDERS, k.provider)}${k.base_url ? ` — ${k.base_url}` : ''}`;
    return h('tr', {}, h('td', {}, k.label || '—'), h('td', {}, what),
             h('td', {}, h('code', {}, k.api_key_masked || '')), out, h('td', {}, test, del));
  });
  return h('div', { class: 'tablewrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ['Label', kind === 'exchange' ? 'Exchange' : 'Provider', 'Key', 'Last test', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}

function addForm(kind, reload) {
  const fields = kind === 'exchange'
    ? [field('Exchange', { tag: 'select', name: 'exchange', options: EXCHANGES }),
       field('Label', { name: 'label', maxlength: 100 }),
       field('API key', { name: 'api_key', autocomplete: 'off', required: true }),
       field('API secret', { name: 'api_secret', type: 'password', autocomplete: 'off', required: true }),
       field('Passphrase (only some exchanges)', { name: 'passphrase', type: 'password', autocomplete: 'off' })]
    : [field('Provider', { tag: 'select', name: 'provider', options: PROVIDERS }),
       field('Label', { name: 'label', maxlength: 100 }),
       field('API key', { name: 'api_key', type: 'password', autocomplete: 'off', required: true }),
       field('Base URL (OpenAI-compatible only)', { name: 'base_url', type: 'url' })];
  const testnet = h('input', { type: 'checkbox', id: `${kind}-testnet`, name: 'is_testnet' });
  const form = h('form', { id: `${kind}-key-form`, novalidate: true }, fields.map((f) => f.wrap),
    kind === 'exchange' ? h('p', {}, testnet, ' ', h('label', { for: `${kind}-testnet`, class: 'inline' }, 'Testnet key')) : null,
    h('button', { type: 'submit' }, 'Add key'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const f of fields) if (f.input.value) body[f.input.name] = f.input.value.trim();
    if (kind === 'exchange') body.is_testnet = testnet.checked;
    try {
      await api.call('POST', `/api/v1/keys/${kind}`, body);
      for (const f of fields) if (f.input.tagName === 'INPUT') f.input.value = '';
      say('Key saved (encrypted). Test it to see what it may do.');
      reload();
    } catch (e) { say(errorText(e), 'error'); }
  });
  return form;
}

export async function keysPage(main) {
  const exList = h('div', { id: 'exchange-keys' });
  const aiList = h('div', { id: 'ai-keys' });
  async function reload() {
    for (const [kind, el] of [['exchange', exList], ['ai', aiList]]) {
      try { el.replaceChildren(keyTable(kind, (await api.call('GET', `/api/v1/keys/${kind}`)).keys || [], reload)); }
      catch (e) { el.replaceChildren(h('p', { class: 'na' }, errorText(e))); }
    }
  }
  main.replaceChildren(h('h1', {}, 'API keys'),
    card('Exchange keys', exList, h('h3', {}, 'Add an exchange key'), addForm('exchange', reload)),
    card('AI provider keys', aiList, h('h3', {}, 'Add an AI key'), addForm('ai', reload)));
  await reload();
}
