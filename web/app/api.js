// api.js - the dashboard's only way to the platform: the public REST API (/api/v1).
// Tokens live in this module's memory only (never localStorage/sessionStorage/cookies), so
// closing or reloading the tab signs out; the access token is refreshed before it expires.

let session = null;        // {access, refresh, timer}
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.detail)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
  // 404/501: the server has no such endpoint yet (a branch not landed, a feature off).
  get unavailable() {
    return this.status === 501 || this.body.code === 12 ||
           (this.status === 404 && /no such endpoint/.test(this.message));
  }
}

export function setSignedOutHandler(fn) { onSignedOut = fn; }
export function signedIn() { return session !== null; }

function keep(t) {
  if (session && session.timer) clearTimeout(session.timer);
  session = { access: t.access_token, refresh: t.refresh_token, timer: null };
  const secs = Number(t.expires_in || 900);
  // Refresh at 80% of the lifetime (at least 5 s from now).
  session.timer = setTimeout(() => refresh().catch(() => drop()), Math.max(5, secs * 0.8) * 1000);
}

function drop() {
  if (session && session.timer) clearTimeout(session.timer);
  const had = session !== null;
  session = null;
  if (had) onSignedOut();
}

async function raw(method, path, body, auth) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && session) headers.Authorization = `Bearer ${session.access}`;
  const r = await fetch(path, { method, headers, credentials: 'omit', cache: 'no-store',
                                body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : {}; } catch { json = { message: text.slice(0, 200) }; }
  if (!r.ok) throw new ApiError(r.status, json);
  return json;
}

async function refresh() {
  if (!session) throw new ApiError(401, { message: 'signed out' });
  keep(await raw('POST', '/api/v1/auth/refresh', { refresh_token: session.refresh }, false));
}

// An authenticated call; a 401 gets one refresh and one retry, then signs out.
export async function call(method, path, body) {
  try {
    return await raw(method, path, body, true);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401 || !session) throw e;
    try { await refresh(); } catch { drop(); throw e; }
    return raw(method, path, body, true);
  }
}

export async function register(email, password, name) {
  await raw('POST', '/api/v1/auth/register', { email, password, name }, false);
  return login(email, password);
}

export async function login(email, password) {
  keep(await raw('POST', '/api/v1/auth/login', { email, password }, false));
}

// Revokes the refresh token on the server, then forgets both tokens.
export async function logout() {
  if (!session) return;
  try { await raw('POST', '/api/v1/auth/logout', { refresh_token: session.refresh }, true); }
  finally { drop(); }
}

export function forget() { drop(); }

// Follows a newline-delimited JSON stream (grpc-gateway format: one {"result": ...} a line).
// Returns an AbortController; onLine gets each result, onEnd(error|null) once.
export function follow(path, onLine, onEnd) {
  const ctl = new AbortController();
  (async () => {
    let err = null;
    try {
      const r = await fetch(path, { headers: { Authorization: `Bearer ${session ? session.access : ''}`,
                                               Accept: 'application/json' },
                                    signal: ctl.signal, cache: 'no-store', credentials: 'omit' });
      if (!r.ok) {
        let b = {};
        try { b = await r.json(); } catch { /* not JSON */ }
        throw new ApiError(r.status, b);
      }
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (!line) continue;
          const m = JSON.parse(line);
          if (m.error) throw new ApiError(200, m.error);
          if (m.result) onLine(m.result);
        }
      }
    } catch (e) {
      if (e.name !== 'AbortError') err = e;
    }
    onEnd(err);
  })();
  return ctl;
}
