// issue 15: vzmaster console in a real headless Chromium (Debian's, driven by playwright-core) against the lab: the
// page lists the lab's hosts and apps, the watch's events and an app's log; stopping an app through its (confirmed)
// button makes `vzmaster status` agree; a wrong token gets 401, a foreign Host or Origin and a bad body are refused.
// A screenshot is kept under .tap/artifacts (never committed).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import t from 'tap';
import { scratch } from '../helpers/fixtures.ts';
import { busyboxImage, startLab, VZMASTER } from '../helpers/lab.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../.tap/artifacts');

/** A raw HTTP request (fetch may not set Host), answering status and body. */
function http(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

t.test('issue 15: the console in headless Chromium lists hosts and apps, stops an app by its button, and keeps out the wrong token', { skip: existsSync(CHROMIUM) ? false : 'Debian\'s chromium is not installed (.ci/run installs it)' }, async (t) => {
  const { chromium } = await import('playwright-core');
  const dir = scratch(t);
  const lab = await startLab(t, { hosts: 2, busybox: 0 });
  const image = busyboxImage(dir, 'web', 'echo up; exec sleep 100000');
  writeFileSync(join(dir, 'web.yml'), `app: web\nimage: ${image}\nreplicas: 2\nrolling: { batch: 2, minUptime: 1, timeout: 60 }\n`);
  const deployed = await lab.run(['deploy', join(dir, 'web.yml')], 300_000);
  t.equal(deployed.exitCode, 0, deployed.stderr);
  // One watch event to show: a round while vps2 is frozen (a miss, logged, not acted on).
  t.equal((await lab.run(['lab', 'freeze-host', 'vps2'])).exitCode, 0);
  t.equal((await lab.run(['watch', '--once'], 120_000)).exitCode, 0);
  t.equal((await lab.run(['lab', 'thaw-host', 'vps2'])).exitCode, 0);

  const child = spawn(process.execPath, [VZMASTER, 'console', '--port', '0'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...lab.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no URL printed: ${stderr}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /^console: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=\S+)$/m.exec(stdout);
      if (m) (clearTimeout(timer), done(m[1]));
    });
  });
  const port = Number(new URL(url).port);
  const token = new URL(url).searchParams.get('token')!;
  const bearer = { Authorization: `Bearer ${token}` };

  await t.test('the door: token, Host, Origin, content type, body', async (t) => {
    t.equal((await http(port, '/api/overview')).status, 401, 'no token: 401');
    t.equal((await http(port, '/api/overview', { headers: { Authorization: 'Bearer wrong' } })).status, 401, 'a wrong token: 401');
    t.equal((await http(port, '/?token=wrong')).status, 401, 'a wrong token in the URL: 401');
    t.equal((await http(port, '/api/events', { headers: { ...bearer, Host: `evil.example:${port}` } })).status, 421, 'a foreign Host (DNS rebinding): refused');
    const post = (headers: Record<string, string>, body: unknown) => http(port, '/api/action', { method: 'POST', headers: { ...bearer, ...headers }, body: JSON.stringify(body) });
    t.equal((await post({ 'Content-Type': 'text/plain' }, { action: 'stop', app: 'web' })).status, 415, 'a form-like POST: refused');
    t.equal((await post({ 'Content-Type': 'application/json', Origin: 'http://evil.example' }, { action: 'stop', app: 'web' })).status, 403, 'another origin: refused');
    const bad = await post({ 'Content-Type': 'application/json' }, { action: 'explode', app: 'web' });
    t.equal(bad.status, 400);
    t.match(JSON.parse(bad.body).error, /field "action"/, 'the bad field is named');
    const escape = await post({ 'Content-Type': 'application/json' }, { action: 'stop', app: '../etc' });
    t.match(JSON.parse(escape.body).error, /field "app"/);
    t.equal((await http(port, '/nope', { headers: bearer })).status, 404);
    const events = JSON.parse((await http(port, '/api/events', { headers: bearer })).body).events as { event: string; host: string }[];
    t.ok(events.some((e) => e.event === 'host-missed' && e.host === 'vps2'), 'the watch\'s event is served');
  });

  await t.test('the page in Chromium', async (t) => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    t.teardown(() => browser.close());
    const page = await browser.newPage();
    const response = await page.goto(url);
    t.equal(new URL(page.url()).search, '', 'the token left the address bar (a cookie now)');
    t.equal(response?.status(), 200);
    await page.waitForSelector('body[data-loaded="yes"]', { timeout: 60_000 });
    t.same(await page.$$eval('#hosts tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.host)), ['vps1', 'vps2'], 'the lab\'s hosts');
    const hostCells = await page.$eval('#hosts tbody tr[data-host="vps1"]', (r) => [...r.children].map((c) => c.textContent));
    t.same(hostCells.slice(1, 4), ['vendor_a', 'sysvinit', 'runch'], 'vendor, init, runtime');
    t.equal(hostCells[5], 'yes', 'reachable');
    const appRow = 'tr[data-app="web"][data-host="vps1"]';
    t.equal(await page.$eval(appRow, (r) => (r as HTMLElement).dataset.state), 'running', 'web runs on vps1');
    t.ok(await page.$('#events tbody tr'), 'the watch\'s events are listed');
    t.match(await page.textContent('#events'), /host-missed/);
    await page.click('#log-load');
    await page.waitForFunction(() => document.getElementById('logs')!.textContent!.includes('| up'), undefined, { timeout: 30_000 });
    t.match(await page.textContent('#logs'), /^vps1 \| up$/m, 'the app\'s log, host-prefixed');

    const stop = `${appRow} button[data-action="stop"]`;
    await page.click(stop);
    t.equal(await page.textContent(stop), 'confirm stop?', 'the first click only asks to confirm');
    await page.click(stop);
    await page.waitForFunction(() => /stop web: vps1 (changed|ok)/.test(document.getElementById('message')!.textContent!), undefined, { timeout: 60_000 });
    await page.waitForSelector(`${appRow}[data-wanted="off"]`, { timeout: 60_000 });
    const status = await lab.run(['status', 'web', '--json']);
    const hosts = JSON.parse(status.stdout).hosts as { host: string; apps: { wanted: string; state: string }[] }[];
    t.same(hosts.map((h) => [h.host, h.apps[0]?.wanted]), [['vps1', 'off'], ['vps2', 'respawn']], 'vzmaster status agrees: stopped on vps1 only');
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'console.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.ok(statSync(shot).size > 10_000, `a screenshot: ${shot}`);
  });

  // Ctrl-C while the console waits on ansible (an overview is a top round trip): it stops, it is not killed.
  const inFlight = http(port, '/api/overview', { headers: bearer }).catch(() => undefined);
  for (let i = 0; i < 200 && !readdirSync(`/proc/${child.pid}/task`).some((task) => readFileSync(`/proc/${child.pid}/task/${task}/children`, 'utf8').trim() !== ''); i++) await new Promise((r) => setTimeout(r, 25));
  child.kill('SIGINT');
  t.equal(await exited, 0, `the console ends on Ctrl-C, even with an ansible call under way: ${stderr}`);
  await inFlight;
  t.match(stderr, /console: stop web on vps1/, 'the action is logged on the console\'s terminal');
});
