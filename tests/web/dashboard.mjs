// dashboard.mjs - the dashboard's browser test (see web_dashboard.sh):
//   node dashboard.mjs BASE_URL SHOTS_DIR CHROMIUM PROFILE_DIR WEBTEST_DIR
// Two users in two fresh browser contexts.  Ana signs up, adds a key, configures and starts a
// paper bot, sees its logs (and, when the bot reports performance, a chart with points), stops
// it and signs out; Ben signs up and sees none of Ana's keys, config, bot or logs.
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const [base, shots, chromium, profile, webtest] = process.argv.slice(2);
const puppeteer = createRequire(`${webtest}/`)('puppeteer-core');
const strong = 'correct horse battery staple 42!';
let n = 0;

async function shot(page, name) {
  await page.screenshot({ path: `${shots}/${String(++n).padStart(2, '0')}-${name}.png`, fullPage: true });
}
async function text(page, sel) { return page.$eval(sel, (e) => e.textContent); }
async function waitText(page, sel, re, timeout = 30000) {
  await page.waitForFunction((s, r) => { const e = document.querySelector(s); return e && new RegExp(r).test(e.textContent); },
                             { timeout, polling: 200 }, sel, re.source);
}
async function fill(page, form, name, value) {
  const sel = `${form} [name="${name}"]`;
  await page.$eval(sel, (e) => { e.value = ''; });
  await page.type(sel, value);
}
async function signup(page, name, email) {
  await page.goto(`${base}/app/#/signup`, { waitUntil: 'load' });
  await page.waitForSelector('#signup-form');
  await fill(page, '#signup-form', 'name', name);
  await fill(page, '#signup-form', 'email', email);
  await fill(page, '#signup-form', 'password', strong);
  await shot(page, `signup-${name.toLowerCase()}`);
  await page.click('#signup-form button[type=submit]');
  await page.waitForSelector('#bot-status');
}

const browser = await puppeteer.launch({
  executablePath: chromium, userDataDir: profile, headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--no-first-run', '--window-size=1100,900'] });
const failures = [];
const consoleLog = [];
try {
  const ctxA = await browser.createBrowserContext();
  const page = await ctxA.newPage();
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('console', (m) => consoleLog.push(`${m.type()}: ${m.text()}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) failures.push(`console: ${m.text()}`); });
  page.on('dialog', (d) => d.accept());
  await page.setViewport({ width: 1100, height: 900 });

  // The page's own security headers.
  const res = await page.goto(`${base}/app/`, { waitUntil: 'load' });
  const csp = res.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  await page.waitForSelector('#signin-form');
  await shot(page, 'signin');

  await signup(page, 'Ana', 'ana@example.com');
  // Tokens only in memory: nothing in the browser's storage.
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  assert.equal(await page.evaluate(() => document.cookie), '');

  // Keys: add an exchange key, see it masked.
  await page.click('a[href="#/keys"]');
  await page.waitForSelector('#exchange-key-form');
  await fill(page, '#exchange-key-form', 'label', 'main');
  await fill(page, '#exchange-key-form', 'api_key', 'AKIAEXAMPLEKEY1234567890');
  await fill(page, '#exchange-key-form', 'api_secret', 'secret-value-never-shown-0987654321');
  await page.click('#exchange-key-form button[type=submit]');
  await page.waitForSelector('#exchange-keys table');
  const keysText = await text(page, '#exchange-keys');
  assert.match(keysText, /main/);
  assert.doesNotMatch(keysText, /AKIAEXAMPLEKEY1234567890|secret-value/);
  await shot(page, 'keys');

  // Account page shows who we are.
  await page.click('a[href="#/account"]');
  await page.waitForSelector('#account-form');
  assert.equal(await page.$eval('#account-form [name=email]', (e) => e.value), 'ana@example.com');
  await shot(page, 'account');

  // Billing: plans compared; Subscribe (provider none in tests: the plan is active at once).
  await page.click('a[href="#/billing"]');
  await waitText(page, '#plans', /starter/);
  await waitText(page, '#subscription', /free/);
  const buttons = await page.$$('#plans button');
  for (const b of buttons) if (/starter/.test(await b.evaluate((e) => e.textContent))) await b.click();
  await waitText(page, '#subscription', /starter: active/);
  await shot(page, 'billing');

  // Bot: a field error from the plan limits, then a valid config, start, logs, stop.
  await page.click('a[href="#/bot"]');
  await page.waitForSelector('#bot-config-form');
  await waitText(page, '#bot-config-form', /starter\) allows up to 3 symbols/);
  await fill(page, '#bot-config-form', 'symbols', 'BTCUSDT, ETHUSDT, SOLUSDT, XRPUSDT');
  await page.click('#bot-config-form button[type=submit]');   // the plan's limit, known to the form
  await waitText(page, '#bot-config-form', /At most 3 symbols/);
  await fill(page, '#bot-config-form', 'symbols', 'B$');
  await page.click('#bot-config-form button[type=submit]');   // the server's field error
  await waitText(page, '#bot-config-form', /symbols\[0\]/);
  await shot(page, 'bot-field-error');
  await fill(page, '#bot-config-form', 'symbols', 'BTCUSDT');
  await fill(page, '#bot-config-form', 'capital', '1000');
  await page.select('#bot-config-form [name=mode]', 'BOT_MODE_PAPER');
  await page.click('#bot-config-form button[type=submit]');
  await waitText(page, '#status', /Configuration saved/);
  await page.click('#bot-start');
  await waitText(page, '#bot-state', /running/, 60000);
  await page.waitForFunction(() => document.querySelector('#bot-logs').textContent.trim().split('\n').length >= 2,
                             { timeout: 60000, polling: 250 });
  // sath-bot's JSON lines are shown as "LEVEL msg key=value" (the stand-in's plain lines as they are)
  if (process.env.SATH_WEBTEST_PERF === '1') {
    assert.match(await text(page, '#bot-logs'), /INFO +trading .*strategy=sma_crossover/);
    assert.doesNotMatch(await text(page, '#bot-logs'), /"msg":/);
  }
  await shot(page, 'bot-running');

  // Performance: a chart with points once the bot reports (sath-bot with InfluxDB);
  // before that the page says the figures are not available.
  await page.click('a[href="#/performance"]');
  await page.waitForFunction(() => document.querySelector('#perf')?.textContent.length > 0, { timeout: 30000 });
  const perfText = await text(page, '#perf');
  if (process.env.SATH_WEBTEST_PERF === '1') {   // sath-bot reporting into InfluxDB
    await waitText(page, '#fig-points', /^[1-9]/, 60000);
    assert.ok(await page.$('#equity-chart canvas'), 'the equity chart is drawn');
  } else if (/Points/.test(perfText)) {
    await waitText(page, '#fig-points', /^[1-9]/, 60000).catch(() => {});
  }
  await shot(page, 'performance');

  await page.click('a[href="#/bot"]');
  await page.waitForSelector('#bot-stop');
  await page.click('#bot-stop');
  await waitText(page, '#bot-state', /stopped/, 60000);
  await shot(page, 'bot-stopped');

  await page.click('#signout');
  await page.waitForSelector('#signin-form');
  await shot(page, 'signed-out');

  // Ben, in his own browser context: none of Ana's things.
  const ctxB = await browser.createBrowserContext();
  const pb = await ctxB.newPage();
  pb.on('pageerror', (e) => failures.push(`page error (ben): ${e.message}`));
  await pb.setViewport({ width: 390, height: 844, isMobile: true }); // a phone
  await signup(pb, 'Ben', 'ben@example.com');
  await waitText(pb, '#bot-status', /never started|stopped/);
  const benBot = await text(pb, '#bot-status');
  assert.doesNotMatch(benBot, /running/);
  await pb.waitForFunction(() => !/Following/.test(document.querySelector('#log-state').textContent) ||
                                 document.querySelector('#bot-logs').textContent === '', { timeout: 10000 });
  assert.equal((await text(pb, '#bot-logs')).trim(), '');
  assert.equal(await pb.$eval('#bot-config-form [name=exchange_key_id]', (e) => e.options.length), 1);
  await shot(pb, 'ben-bot-phone');
  await pb.click('a[href="#/keys"]');
  await pb.waitForSelector('#exchange-keys p, #exchange-keys table');
  assert.doesNotMatch(await text(pb, '#exchange-keys'), /main/);
  await shot(pb, 'ben-keys-phone');

  // Keyboard: the skip link takes focus to the content without leaving the page, and Tab
  // from there reaches the page's first control.
  await pb.focus('.skip');
  await pb.keyboard.press('Enter');
  assert.equal(await pb.evaluate(() => document.activeElement.id), 'main');
  assert.equal(await pb.evaluate(() => location.hash), '#/keys');
  await pb.keyboard.press('Tab');
  assert.match(await pb.evaluate(() => document.activeElement.tagName), /BUTTON|INPUT|SELECT|A|PRE/);
} catch (e) {
  console.error(`browser console:\n${consoleLog.join('\n')}\n${failures.join('\n')}`);
  throw e;
} finally {
  await browser.close();
}
if (failures.length) { console.error(failures.join('\n')); process.exit(1); }
console.log(`ok: ${n} screenshots in ${shots}`);
