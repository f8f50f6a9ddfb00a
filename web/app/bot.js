// bot.js - the bot page: the config form (knowing the plan's limits, showing the server's
// errors), start/stop/restart with the observed state polled live, and the logs followed
// over GET /api/v1/bot/logs/follow (newline-delimited JSON).
import * as api from './api.js';
import { h, field, say, errorText, when, card } from './ui.js';

const STATE = (s) => String(s || 'BOT_STATE_UNSPECIFIED').replace('BOT_STATE_', '').toLowerCase();

async function planLimits() {
  try {
    const me = await api.call('GET', '/api/v1/users/me');
    const plans = (await api.call('GET', '/api/v1/billing/plans')).plans || [];
    const p = plans.find((x) => x.id === me.plan || x.name === me.plan ||
                                (x.name || '').toLowerCase() === String(me.plan || '').toLowerCase());
    return p ? { name: p.name, maxSymbols: p.max_symbols, maxCapital: p.max_capital, live: p.live_trading }
             : { name: me.plan };
  } catch { return null; }
}

function statusView(st) {
  if (STATE(st.state) === 'unspecified' && !st.run_id)
    return h('p', {}, 'State: ', h('span', { class: 'state', id: 'bot-state' }, 'never started'),
             h('span', { class: 'hint' }, ' — save a configuration, then press Start.'));
  const s = STATE(st.state);
  const cls = s === 'running' ? 'state running' : s === 'failed' ? 'state failed' : 'state';
  return h('div', {},
    h('p', {}, 'State: ', h('span', { class: cls, id: 'bot-state' }, s),
      st.desired_state ? ` (asked: ${STATE(st.desired_state)}${st.pending_change ? ', on its way' : ''})` : ''),
    h('p', { class: 'hint' }, `Mode: ${String(st.mode || '').replace('BOT_MODE_', '').toLowerCase() || '—'} · ` +
      `started ${when(st.started_at)} · restarts ${st.restarts || 0}` +
      (st.node ? ` · node ${st.node}` : '') +
      (st.equity !== undefined ? ` · equity ${Number(st.equity).toFixed(2)}` : '') +
      (st.last_heartbeat_at ? ` · last heartbeat ${when(st.last_heartbeat_at)}` : '')),
    st.message ? h('p', { class: s === 'failed' ? 'error' : 'hint' }, st.message) : null);
}

export async function botPage(main) {
  const limits = await planLimits();
  let cfg = {};
  try { cfg = await api.call('GET', '/api/v1/bot/config'); } catch (e) { if (e.status !== 404) say(errorText(e), 'error'); }
  let keys = [], aiKeys = [];
  try { keys = (await api.call('GET', '/api/v1/keys/exchange')).keys || []; } catch { /* shown on the keys page */ }
  try { aiKeys = (await api.call('GET', '/api/v1/keys/ai')).keys || []; } catch { /* idem */ }

  const maxSym = limits && limits.maxSymbols;
  const maxCap = limits && limits.maxCapital ? Number(limits.maxCapital.cents) / 100 : null;
  const symbols = field('Symbols (comma separated)', { name: 'symbols', value: (cfg.symbols || []).join(', ') || 'BTCUSDT' },
                        maxSym ? `Your plan (${limits.name}) allows up to ${maxSym} symbols.` : null);
  const capital = field('Capital', { name: 'capital', type: 'number', min: 0, step: '0.01',
                        value: cfg.capital_cents ? Number(cfg.capital_cents) / 100 : 1000 },
                        maxCap !== null ? `Your plan allows up to ${maxCap.toFixed(2)} ${limits.maxCapital.currency || ''}.` : null);
  const risk = field('Risk per trade (basis points, 100 = 1%)', { name: 'risk', type: 'number', min: 1, max: 10000,
                     value: cfg.risk_per_trade_bps || 100 });
  // The strategies sathd accepts (server/bots/bot_config.c, sathd_bot_strategies); a
  // stored one this page does not know yet is kept as an extra choice, not lost.
  const known = [['sma_crossover', 'SMA crossover (trend)'], ['ema_crossover', 'EMA crossover (trend, faster)'],
                 ['rsi_reversion', 'RSI mean reversion'], ['grid', 'Grid']];
  if (cfg.strategy && !known.some(([v]) => v === cfg.strategy)) known.push([cfg.strategy, cfg.strategy]);
  const strategy = field('Strategy', { tag: 'select', name: 'strategy', options: known });
  strategy.input.value = cfg.strategy || 'sma_crossover';
  const liveOk = !limits || limits.live !== false;
  const mode = field('Mode', { tag: 'select', name: 'mode',
                     options: [['BOT_MODE_PAPER', 'Paper (simulated money)']].concat(liveOk ? [['BOT_MODE_LIVE', 'Live (real money)']] : []) });
  mode.input.value = cfg.mode === 'BOT_MODE_LIVE' && liveOk ? 'BOT_MODE_LIVE' : 'BOT_MODE_PAPER';
  const exKey = field('Exchange key', { tag: 'select', name: 'exchange_key_id',
                      options: [['', '— none (paper needs none) —']].concat(keys.map((k) => [k.id, `${k.label || k.exchange} ${k.api_key_masked}`])) });
  exKey.input.value = cfg.exchange_key_id || '';
  const aiKey = field('AI key', { tag: 'select', name: 'ai_key_id',
                      options: [['', '— none —']].concat(aiKeys.map((k) => [k.id, `${k.label || k.provider} ${k.api_key_masked}`])) });
  aiKey.input.value = cfg.ai_key_id || '';
  const all = { symbols, capital, risk, strategy, mode, exKey, aiKey };
  const form = h('form', { id: 'bot-config-form', novalidate: true }, Object.values(all).map((f) => f.wrap),
                 liveOk ? null : h('p', { class: 'hint' }, 'Live trading needs a paid plan (see Billing).'),
                 h('button', { type: 'submit' }, 'Save configuration'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const f of Object.values(all)) f.wrap.showError('');
    const syms = symbols.input.value.split(/[\s,]+/).filter(Boolean).map((s) => s.toUpperCase());
    if (maxSym && syms.length > maxSym) { symbols.wrap.showError(`At most ${maxSym} symbols on your plan.`); return; }
    const cap = Math.round(Number(capital.input.value) * 100);
    if (maxCap !== null && cap > maxCap * 100) { capital.wrap.showError(`At most ${maxCap.toFixed(2)} on your plan.`); return; }
    const body = { symbols: syms, mode: mode.input.value, capital_cents: String(cap),
                   risk_per_trade_bps: Number(risk.input.value), strategy: strategy.input.value.trim(),
                   exchange_key_id: exKey.input.value, ai_key_id: aiKey.input.value };
    try {
      await api.call('PUT', '/api/v1/bot/config', body);
      say('Configuration saved.');
    } catch (e) {
      // The server names the field in its message (e.g. "symbols: ..."); show it there too.
      const m = e.message || '';
      const target = /symbol/i.test(m) ? symbols : /capital/i.test(m) ? capital : /risk/i.test(m) ? risk
        : /exchange/i.test(m) ? exKey : /ai/i.test(m) ? aiKey : /mode|live/i.test(m) ? mode : /strateg/i.test(m) ? strategy : null;
      if (target) target.wrap.showError(m);
      say(errorText(e), 'error');
    }
  });

  const stateBox = h('div', { id: 'bot-status', 'aria-live': 'polite' }, 'Loading…');
  async function poll() {
    try { stateBox.replaceChildren(statusView(await api.call('GET', '/api/v1/bot/status'))); }
    catch (e) { stateBox.replaceChildren(h('p', { class: e.status === 404 ? 'hint' : 'error' },
                e.status === 404 ? 'No bot yet: save a configuration and start it.' : errorText(e))); }
  }
  const action = (what) => async () => {
    try {
      const st = await api.call('POST', `/api/v1/bot/${what}`, what === 'start' ? { mode: mode.input.value } : {});
      stateBox.replaceChildren(statusView(st));
      say(`Bot ${what} requested.`);
      if (what !== 'stop') startFollow();
    } catch (e) { say(errorText(e), 'error'); }
  };
  const controls = h('div', {}, h('button', { type: 'button', id: 'bot-start', onclick: action('start') }, 'Start'),
    h('button', { type: 'button', id: 'bot-stop', class: 'secondary', onclick: action('stop') }, 'Stop'),
    h('button', { type: 'button', id: 'bot-restart', class: 'secondary', onclick: action('restart') }, 'Restart'));

  const logs = h('pre', { class: 'logs', id: 'bot-logs', tabindex: 0, 'aria-label': 'Bot logs', 'aria-live': 'off' });
  const logState = h('p', { class: 'hint', id: 'log-state' }, '');
  let ctl = null, retry = null, gone = false;
  // sath-bot writes one JSON object a line (time, level, msg, fields): shown as
  // "LEVEL msg key=value ..."; any other line (a crash, another program) as it came.
  function render(text) {
    let o = null;
    try { o = text.startsWith('{') ? JSON.parse(text) : null; } catch { o = null; }
    if (!o || typeof o.msg !== 'string') return text;
    const f = o.fields && typeof o.fields === 'object'
      ? Object.entries(o.fields).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? +v.toPrecision(8) : typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ')
      : '';
    return `${String(o.level || 'info').toUpperCase().padEnd(5)} ${o.msg}${f ? ' ' + f : ''}`;
  }
  function append(l) {
    const t = l.time ? new Date(l.time).toLocaleTimeString() : '';
    logs.append(`${t} ${l.stream === 'stderr' ? '!' : ' '} ${render(l.text)}\n`);
    while (logs.childNodes.length > 1000) logs.firstChild.remove();
    logs.scrollTop = logs.scrollHeight;
  }
  function startFollow() {
    if (ctl) ctl.abort();
    if (retry) clearTimeout(retry);
    logs.textContent = ''; // the tail is sent again
    logState.textContent = 'Following the logs…';
    ctl = api.follow('/api/v1/bot/logs/follow?tail=50', append, (err) => {
      if (gone) return;
      logState.textContent = err ? `Log stream ended: ${errorText(err)} (retrying)` : 'Log stream ended (retrying).';
      retry = setTimeout(startFollow, 3000);
    });
  }
  main.replaceChildren(h('h1', {}, 'Bot'),
    card('Status', stateBox, controls),
    card('Logs', logState, logs),
    card('Configuration', form));
  await poll();
  const timer = setInterval(poll, 2000);
  startFollow();
  return () => { gone = true; clearInterval(timer); if (retry) clearTimeout(retry); if (ctl) ctl.abort(); };
}
