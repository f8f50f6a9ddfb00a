// billing.js - plans compared, subscribe (the server answers with a checkout URL, or with an
// active subscription when billing runs without a provider), the current subscription,
// cancel, and the invoices.
import * as api from './api.js';
import { h, field, say, errorText, when, money, card } from './ui.js';

const short = (s, p) => String(s || '').replace(p, '').toLowerCase().replace('_', ' ');

export async function billingPage(main) {
  const subBox = h('div', { id: 'subscription' }), plansBox = h('div', { id: 'plans' }), invBox = h('div', { id: 'invoices' });
  const period = field('Billing period', { tag: 'select', name: 'period',
                       options: [['BILLING_PERIOD_MONTHLY', 'Monthly'], ['BILLING_PERIOD_YEARLY', 'Yearly']] });
  let sub = null;
  async function load() {
    try { sub = await api.call('GET', '/api/v1/billing/subscription'); } catch (e) { sub = null; if (e.status !== 404) subBox.replaceChildren(h('p', { class: 'na' }, errorText(e))); }
    if (sub) {
      const cancel = h('button', { type: 'button', class: 'danger', id: 'cancel-sub' }, 'Cancel subscription');
      cancel.addEventListener('click', async () => {
        if (!window.confirm('Cancel at the end of the current period?')) return;
        try { await api.call('POST', '/api/v1/billing/cancel', { immediately: false }); say('Subscription cancelled.'); load(); }
        catch (e) { say(errorText(e), 'error'); }
      });
      subBox.replaceChildren(h('p', {}, `Plan ${sub.plan ? sub.plan.name : '—'}: ${short(sub.status, 'SUBSCRIPTION_STATUS_')}, ` +
        `${short(sub.period, 'BILLING_PERIOD_')}, period ends ${when(sub.current_period_end)}` +
        (sub.cancel_at_period_end ? ' (cancels then)' : '')),
        !sub.id || sub.cancel_at_period_end || short(sub.status, 'SUBSCRIPTION_STATUS_') === 'canceled' ? null : cancel);
    } else if (!subBox.firstChild) subBox.replaceChildren(h('p', {}, 'No subscription: you are on the free plan.'));
    try {
      const plans = (await api.call('GET', '/api/v1/billing/plans')).plans || [];
      plansBox.replaceChildren(h('div', { class: 'plans' }, plans.map((p) => {
        const current = sub && sub.plan && sub.plan.id === p.id;
        const buy = h('button', { type: 'button', disabled: current || undefined }, current ? 'Current plan' : `Subscribe to ${p.name}`);
        buy.addEventListener('click', async () => {
          try {
            const r = await api.call('POST', '/api/v1/billing/subscribe', { plan_id: p.id, period: period.input.value });
            if (r.checkout_url) {
              say('');
              subBox.replaceChildren(h('p', {}, 'Finish the payment at the provider: ',
                h('a', { href: r.checkout_url, rel: 'noopener noreferrer', target: '_blank', id: 'checkout' }, 'open checkout')));
            } else { say(r.message || `Subscribed to ${p.name}.`); load(); }
          } catch (e) { say(errorText(e), 'error'); }
        });
        return h('article', { class: current ? 'current' : '' }, h('h3', {}, p.name),
          h('p', {}, `${money(p.price_monthly)} / month · ${money(p.price_yearly)} / year`),
          // The limits the server enforces, then the plan's own feature lines, except those
          // that only restate a limit ("1 trading symbol", "Paper trading").
          h('ul', {}, h('li', {}, `Up to ${p.max_symbols} ${p.max_symbols === 1 ? 'symbol' : 'symbols'}`),
            h('li', {}, `Capital up to ${money(p.max_capital)}`),
            h('li', {}, p.live_trading ? 'Paper and live trading' : 'Paper trading only'),
            (p.features || []).filter((f) => !/trading symbols?$|^paper( and live)? trading$|^live trading$/i.test(f))
              .map((f) => h('li', {}, f))),
          buy);
      })));
    } catch (e) { plansBox.replaceChildren(h('p', { class: 'na' }, errorText(e))); }
    try {
      const inv = (await api.call('GET', '/api/v1/billing/invoices')).invoices || [];
      invBox.replaceChildren(inv.length ? h('div', { class: 'tablewrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Date', 'Amount', 'Status', ''].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, inv.map((i) => h('tr', {}, h('td', {}, when(i.created_at)), h('td', {}, money(i.amount)),
          h('td', {}, short(i.status, 'INVOICE_STATUS_')),
          h('td', {}, i.hosted_url ? h('a', { href: i.hosted_url, rel: 'noopener noreferrer', target: '_blank' }, 'View') : ''))))))
        : h('p', { class: 'hint' }, 'No invoices yet.'));
    } catch (e) { invBox.replaceChildren(h('p', { class: 'na' }, errorText(e))); }
  }
  main.replaceChildren(h('h1', {}, 'Billing'), card('Current subscription', subBox),
                       card('Plans', period.wrap, plansBox), card('Invoices', invBox));
  await load();
}
