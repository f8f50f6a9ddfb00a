// ui.js - small DOM helpers: elements are built with createElement and textContent only
// (never innerHTML with data), so nothing the server or a user wrote can run as script.

export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false)
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return el;
}

let uid = 0;
// A labelled field: returns {wrap, input}.
export function field(label, attrs, hint) {
  const id = `f${++uid}`;
  const input = attrs.tag === 'select'
    ? h('select', { id, name: attrs.name }, ...(attrs.options || []).map(([v, t]) => h('option', { value: v }, t)))
    : h('input', { id, ...attrs, 'aria-describedby': hint ? `${id}h` : undefined });
  const err = h('p', { class: 'error', id: `${id}e`, hidden: true });
  const wrap = h('div', {}, h('label', { for: id }, label), input,
                 hint ? h('p', { class: 'hint', id: `${id}h` }, hint) : null, err);
  wrap.showError = (msg) => { err.textContent = msg || ''; err.hidden = !msg;
                              input.setAttribute('aria-invalid', msg ? 'true' : 'false'); };
  return { wrap, input };
}

export function say(msg, kind) {
  const s = document.getElementById('status');
  s.replaceChildren(msg ? h('p', { class: kind || 'ok' }, msg) : '');
}

export function errorText(e) {
  if (e && e.unavailable) return 'Not available on this server yet.';
  return (e && e.message) || String(e);
}

export function when(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  return isNaN(d) ? String(ts) : d.toLocaleString();
}

export function money(m) {
  if (!m) return '—';
  const cents = Number(m.cents || 0);
  return `${(cents / 100).toFixed(2)} ${m.currency || 'USD'}`;
}

export function card(title, ...kids) {
  return h('section', { class: 'card', 'aria-labelledby': undefined }, h('h2', {}, title), ...kids);
}
