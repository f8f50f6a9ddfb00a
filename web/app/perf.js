// perf.js - the performance page: equity curve (lightweight-charts, served from /app), the
// trades as markers on it, PnL, win rate and maximum drawdown, for a chosen range, from
// GET /api/v1/bot/performance?since=&step=.
import * as api from './api.js';
import { h, field, say, errorText, card } from './ui.js';

// '' asks sathd for its default range: from the first run of the last 24 h, so a bot
// started minutes ago gets a curve of 1 s steps rather than one point.
const RANGES = [['', 'Today\'s runs'], ['3600', 'Last hour'], ['21600', 'Last 6 hours'], ['86400', 'Last 24 hours'],
                ['604800', 'Last 7 days'], ['2592000', 'Last 30 days']];
const num = (o, a, b) => Number(o[a] ?? o[b] ?? 0);
const secs = (t) => Math.floor(new Date(t).getTime() / 1000);

// Win rate: a sell closes (part of) a position bought at the average buy price so far.
export function figures(points, trades) {
  let peak = -Infinity, dd = 0;
  for (const p of points) {
    const e = num(p, 'equity');
    peak = Math.max(peak, e);
    if (peak > 0) dd = Math.max(dd, (peak - e) / peak);
  }
  const pos = {};
  let wins = 0, closes = 0;
  for (const t of trades) {
    const s = pos[t.symbol] || (pos[t.symbol] = { qty: 0, cost: 0 });
    const q = num(t, 'qty'), px = num(t, 'price');
    if (String(t.side).toLowerCase() === 'buy') { s.qty += q; s.cost += q * px; }
    else if (s.qty > 0) {
      const avg = s.cost / s.qty;
      closes++;
      if (px > avg) wins++;
      const used = Math.min(q, s.qty);
      s.qty -= used; s.cost -= used * avg;
    }
  }
  const last = points.length ? points[points.length - 1] : null;
  return { equity: last ? num(last, 'equity') : null,
           realized: last ? num(last, 'realized_pnl', 'realizedPnl') : null,
           unrealized: last ? num(last, 'unrealized_pnl', 'unrealizedPnl') : null,
           change: points.length > 1 ? num(last, 'equity') - num(points[0], 'equity') : null,
           winRate: closes ? wins / closes : null, closes, drawdown: dd };
}

export function drawChart(el, points, trades) {
  const LC = window.LightweightCharts;
  if (!LC) { el.replaceChildren(h('p', { class: 'na' }, 'Chart library not available on this server; figures below.')); return null; }
  // attributionLogo off: it injects a <style> element, which our CSP refuses; the page
  // credits TradingView in text under the chart instead (lightweight-charts' NOTICE).
  const chart = LC.createChart(el, { autoSize: true, layout: { textColor: '#1a1f2b', background: { color: '#ffffff' },
                                                                 attributionLogo: false },
                                     timeScale: { timeVisible: true, secondsVisible: true } });
  const series = chart.addLineSeries({ color: '#0b5cad', lineWidth: 2, title: 'Equity' });
  const data = [];
  for (const p of points) {
    const t = secs(p.time);
    if (data.length && data[data.length - 1].time >= t) continue; // strictly ascending
    data.push({ time: t, value: num(p, 'equity') });
  }
  series.setData(data);
  const first = data.length ? data[0].time : 0;
  const markers = trades.filter((t) => secs(t.time) >= first).map((t) => {
    const buy = String(t.side).toLowerCase() === 'buy';
    return { time: secs(t.time), position: buy ? 'belowBar' : 'aboveBar', color: buy ? '#146c2e' : '#a31515',
             shape: buy ? 'arrowUp' : 'arrowDown', text: `${buy ? 'B' : 'S'} ${t.symbol} @ ${num(t, 'price').toFixed(2)}` };
  }).sort((a, b) => a.time - b.time);
  series.setMarkers(markers);
  chart.timeScale().fitContent();
  return chart;
}

export async function perfPage(main) {
  const range = field('Range', { tag: 'select', name: 'range', options: RANGES });
  range.input.value = '';
  const box = h('div', { id: 'perf' });
  const chartEl = h('div', { class: 'chart', id: 'equity-chart', role: 'img', 'aria-label': 'Equity curve with trades' });
  let chart = null, timer = null;
  async function load() {
    let perf, query = '';
    if (range.input.value) {
      const since = new Date(Date.now() - Number(range.input.value) * 1000).toISOString();
      const step = `${Math.max(1, Math.floor(Number(range.input.value) / 200))}s`; // ~200 points
      query = `?since=${encodeURIComponent(since)}&step=${step}`;
    }
    try { perf = await api.call('GET', `/api/v1/bot/performance${query}`); }
    catch (e) { box.replaceChildren(h('p', { class: 'na' }, errorText(e))); chartEl.hidden = true; return; }
    const points = perf.points || [], trades = perf.trades || [];
    const f = figures(points, trades);
    const fmt = (v, d = 2) => (v === null || Number.isNaN(v) ? '—' : Number(v).toFixed(d));
    box.replaceChildren(
      h('div', { class: 'figures' },
        h('div', {}, 'Equity', h('b', { id: 'fig-equity' }, fmt(f.equity))),
        h('div', {}, 'Change', h('b', {}, fmt(f.change))),
        h('div', {}, 'Realised PnL', h('b', {}, fmt(f.realized))),
        h('div', {}, 'Unrealised PnL', h('b', {}, fmt(f.unrealized))),
        h('div', {}, 'Win rate', h('b', {}, f.winRate === null ? '—' : `${fmt(f.winRate * 100, 1)}% of ${f.closes}`)),
        h('div', {}, 'Max drawdown', h('b', {}, `${fmt(f.drawdown * 100, 2)}%`)),
        h('div', {}, 'Points / trades', h('b', { id: 'fig-points' }, `${points.length} / ${trades.length}`))),
      points.length ? '' : h('p', { class: 'hint' }, 'No reports in this range yet: start the bot and wait a few seconds.'));
    chartEl.hidden = false;
    if (chart) chart.remove();
    chart = points.length ? drawChart(chartEl, points, trades) : null;
    if (!chart && points.length === 0) chartEl.replaceChildren();
    const tb = h('tbody', {}, trades.slice(-20).reverse().map((t) => h('tr', {},
      h('td', {}, new Date(t.time).toLocaleString()), h('td', {}, t.symbol), h('td', {}, t.side),
      h('td', {}, num(t, 'qty').toFixed(6)), h('td', {}, num(t, 'price').toFixed(2)))));
    box.append(h('h3', {}, 'Latest trades'), trades.length ? h('div', { class: 'tablewrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Time', 'Symbol', 'Side', 'Qty', 'Price'].map((x) => h('th', { scope: 'col' }, x)))), tb))
      : h('p', { class: 'hint' }, 'No trades in this range.'));
  }
  range.input.addEventListener('change', () => load().catch((e) => say(errorText(e), 'error')));
  const credit = h('p', { class: 'hint' }, 'Chart: ',
    h('a', { href: 'https://www.tradingview.com/', rel: 'noopener noreferrer', target: '_blank' }, 'TradingView Lightweight Charts™'));
  main.replaceChildren(h('h1', {}, 'Performance'), card('Equity', range.wrap, chartEl, credit, box));
  await load();
  timer = setInterval(() => load().catch(() => {}), 15000);
  return () => { clearInterval(timer); if (chart) chart.remove(); };
}
