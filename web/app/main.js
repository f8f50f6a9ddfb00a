// main.js - the dashboard's entry: the hash router (#/bot, #/keys, ...), the sign-in and
// sign-up pages and the navigation.  Each page module exports render(main) and may return a
// cleanup function (closing a log stream, a poll timer) that runs when the page is left.
import * as api from './api.js';
import { h, field, say, errorText } from './ui.js';
import { accountPage } from './account.js';
import { keysPage } from './keys.js';
import { botPage } from './bot.js';
import { perfPage } from './perf.js';
import { billingPage } from './billing.js';

const pages = { account: accountPage, keys: keysPage, bot: botPage, performance: perfPage,
                billing: billingPage, signin: signinPage, signup: signupPage };
let cleanup = null;

function signinPage(main) {
  const email = field('Email', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const pw = field('Password', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { id: 'signin-form', novalidate: true }, email.wrap, pw.wrap,
                 h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api.login(email.input.value.trim(), pw.input.value);
      say('');
      location.hash = '#/bot';
    } catch (e) { say(errorText(e), 'error'); }
  });
  main.replaceChildren(h('section', { class: 'card' }, h('h1', {}, 'Sign in'), form,
                         h('p', {}, 'No account? ', h('a', { href: '#/signup' }, 'Create one'), '.')));
  email.input.focus();
}

function signupPage(main) {
  const name = field('Name', { name: 'name', autocomplete: 'name', maxlength: 200, required: true });
  const email = field('Email', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const pw = field('Password', { type: 'password', name: 'password', autocomplete: 'new-password', required: true },
                   'At least 8 characters and hard to guess (a few unrelated words work well).');
  const form = h('form', { id: 'signup-form', novalidate: true }, name.wrap, email.wrap, pw.wrap,
                 h('button', { type: 'submit' }, 'Create account'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    pw.wrap.showError('');
    try {
      await api.register(email.input.value.trim(), pw.input.value, name.input.value.trim());
      say('Account created. Welcome!');
      location.hash = '#/bot';
    } catch (e) {
      if (/password/i.test(e.message)) pw.wrap.showError(e.message);
      say(errorText(e), 'error');
    }
  });
  main.replaceChildren(h('section', { class: 'card' }, h('h1', {}, 'Create your account'), form,
                         h('p', {}, 'Already registered? ', h('a', { href: '#/signin' }, 'Sign in'), '.')));
  name.input.focus();
}

async function route() {
  if (cleanup) { try { cleanup(); } catch { /* page already gone */ } cleanup = null; }
  // #/billing, or /app/billing (the address a payment provider sends the user back to).
  let name = (location.hash.replace(/^#\/?/, '') || location.pathname.replace(/^\/app\/?/, '') || 'bot')
    .split('?')[0];
  const open = name === 'signin' || name === 'signup';
  if (!api.signedIn() && !open) name = 'signin';
  if (api.signedIn() && open) name = 'bot';
  if (!pages[name]) name = 'bot';
  document.getElementById('nav').hidden = !api.signedIn();
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const main = document.getElementById('main');
  main.replaceChildren();
  document.title = `SATH Platform — ${name[0].toUpperCase()}${name.slice(1)}`;
  try {
    const c = await pages[name](main);
    if (typeof c === 'function') cleanup = c;
  } catch (e) { say(errorText(e), 'error'); }
}

api.setSignedOutHandler(() => {
  if (location.hash !== '#/signin') location.hash = '#/signin'; // hashchange routes
  else route();
});
document.getElementById('signout').addEventListener('click', async () => {
  if (cleanup) { cleanup(); cleanup = null; }
  try { await api.logout(); } catch { api.forget(); }
});
// The skip link moves focus to the content; it must not change the route.
document.querySelector('.skip').addEventListener('click', (ev) => {
  ev.preventDefault();
  document.getElementById('main').focus();
});
window.addEventListener('hashchange', () => { say(''); route(); });
route();
