// account.js - the account page: name, email and password changes (the last two need the
// current password, as the API does), and deleting the account.
import * as api from './api.js';
import { h, field, say, errorText, when, card } from './ui.js';

export async function accountPage(main) {
  const me = await api.call('GET', '/api/v1/users/me');
  const name = field('Name', { name: 'name', value: me.name || '', maxlength: 200 });
  const email = field('Email', { type: 'email', name: 'email', value: me.email || '', autocomplete: 'username' });
  const newpw = field('New password (leave empty to keep it)', { type: 'password', name: 'new_password',
                      autocomplete: 'new-password' });
  const cur = field('Current password (needed to change the email or the password)',
                    { type: 'password', name: 'current_password', autocomplete: 'current-password' });
  const form = h('form', { id: 'account-form', novalidate: true }, name.wrap, email.wrap, newpw.wrap, cur.wrap,
                 h('button', { type: 'submit' }, 'Save changes'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    if (name.input.value.trim() !== me.name) body.name = name.input.value.trim();
    if (email.input.value.trim() !== me.email) body.email = email.input.value.trim();
    if (newpw.input.value) body.new_password = newpw.input.value;
    if ((body.email || body.new_password) && !cur.input.value) {
      cur.wrap.showError('Enter your current password to change the email or the password.');
      cur.input.focus();
      return;
    }
    cur.wrap.showError('');
    if (cur.input.value && (body.email || body.new_password)) body.current_password = cur.input.value;
    if (!Object.keys(body).length) { say('Nothing changed.'); return; }
    try {
      const u = await api.call('PUT', '/api/v1/users/me', body);
      Object.assign(me, u);
      newpw.input.value = cur.input.value = '';
      say('Account saved.');
    } catch (e) { say(errorText(e), 'error'); }
  });

  const delpw = field('Password', { type: 'password', name: 'delete_password', autocomplete: 'current-password' });
  const confirm = h('input', { type: 'checkbox', id: 'delete-confirm' });
  const del = h('form', { id: 'delete-form', novalidate: true }, delpw.wrap,
                h('p', {}, confirm, ' ', h('label', { for: 'delete-confirm', class: 'inline' },
                  'I understand that my bot is stopped and my account and keys are deleted.')),
                h('button', { type: 'submit', class: 'danger' }, 'Delete my account'));
  del.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!confirm.checked) { say('Tick the box to confirm the deletion.', 'error'); return; }
    try {
      await api.call('DELETE', '/api/v1/users/me', { password: delpw.input.value });
      api.forget();
      say('Your account was deleted.');
    } catch (e) { say(errorText(e), 'error'); }
  });
  main.replaceChildren(h('h1', {}, 'Account'),
    card('Profile', h('p', {}, `Plan: ${me.plan || 'free'} · member since ${when(me.created_at || me.createdAt)}`), form),
    card('Delete account', del));
}
