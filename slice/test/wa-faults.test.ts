// The session recovers from what WhatsApp Web and its browser do wrong, each fault provoked for
// real in real Chromium: an unreachable origin (real whatsapp-web.js mode, no simulator: the name
// is made unresolvable, or resolved to a loopback port of the test's that breaks TLS or never
// answers, with Chromium's host resolver rules), and against the simulator (the test
// double for WhatsApp's servers) a hung page, a detached frame, `ready` never firing, and the
// phone unlinking.
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createWaSession } from '../wa/index.ts';
import { LOGOUT_SCOPE } from '../wa/session.ts';
import { generateScenario } from '../sim/scenario.ts';
import { CHROMIUM, RecordingSink, quietLog, requireChromium, simSession, startAndScan } from './wa-support.ts';

requireChromium(t);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-wa-faults-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const scenarioFile = path.join(dir, 'scenario.json');
fs.writeFileSync(scenarioFile, JSON.stringify({ ...generateScenario({ chats: 2, messages: 4, seed: 5 }), incoming: [] }));
const FAST = { backoff: { initialMs: 200, maxMs: 1000 } };

t.test('real mode, WhatsApp Web unresolvable: DISCONNECTED/unreachable naming the error, retried, never FAILED', async (t) => {
  const sink = new RecordingSink();
  const session = createWaSession({
    mode: 'wwebjs',
    authDir: path.join(dir, 'unreachable'),
    chromiumPath: CHROMIUM,
    simScanAfterMs: 0,
    sink,
    log: quietLog(),
    tuning: { ...FAST, hostResolverRules: 'MAP web.whatsapp.com ~NOTFOUND' },
  });
  t.teardown(() => session.stop());
  await session.start();
  await sink.until(() => sink.statuses.some((s) => s.cause === 'unreachable'), 60_000, 'cause unreachable');
  const s = sink.statuses.find((x) => x.cause === 'unreachable')!;
  t.equal(s.state, 'DISCONNECTED');
  t.match(s.detail, /^cannot reach WhatsApp Web: net::ERR_NAME_NOT_RESOLVED/);
  await sink.until(() => sink.statuses.filter((x) => x.cause === 'unreachable').length >= 2, 20_000, 'a second attempt');
  t.ok((await session.health()).restarts >= 1, 'retried under the backoff');
  t.notOk(sink.states().includes('FAILED'), 'never FAILED');
});

/** A TCP origin on loopback, answering each connection with `onConnection`, closed at teardown. */
async function loopbackOrigin(t: { teardown(fn: () => unknown): void }, onConnection: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

/** Real mode against `web.whatsapp.com` resolved to a loopback port of the test's. */
function realModeAt(t: { teardown(fn: () => unknown): void }, name: string, port: number, sink: RecordingSink, extra: Record<string, unknown> = {}) {
  const session = createWaSession({
    mode: 'wwebjs',
    authDir: path.join(dir, name),
    chromiumPath: CHROMIUM,
    simScanAfterMs: 0,
    sink,
    log: quietLog(),
    tuning: { ...FAST, hostResolverRules: `MAP web.whatsapp.com 127.0.0.1:${port}`, ...extra },
  });
  t.teardown(() => session.stop());
  return session;
}

t.test('real mode, WhatsApp Web answering without TLS: DISCONNECTED/tls naming the error, retried', async (t) => {
  // Plain text where the TLS handshake was expected: what a captive portal or a broken proxy does.
  let connections = 0;
  const port = await loopbackOrigin(t, (socket) => {
    connections++;
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
  });
  const sink = new RecordingSink();
  const session = realModeAt(t, 'tls', port, sink);
  await session.start();
  await sink.until(() => sink.statuses.some((s) => s.cause === 'tls'), 60_000, 'cause tls');
  const s = sink.statuses.find((x) => x.cause === 'tls')!;
  t.equal(s.state, 'DISCONNECTED');
  t.match(s.detail, /^cannot reach WhatsApp Web: net::ERR_SSL_PROTOCOL_ERROR/);
  t.ok(connections >= 1, `the browser did connect to the origin (${connections})`);
  await sink.until(() => sink.statuses.filter((x) => x.cause === 'tls').length >= 2, 20_000, 'a second attempt');
  t.notOk(sink.states().includes('FAILED'), 'never FAILED');
});

t.test('real mode, WhatsApp Web accepting the connection and never answering: DISCONNECTED/timeout after the load bound, retried', async (t) => {
  let connections = 0;
  const port = await loopbackOrigin(t, () => {
    connections++; // held open, silent
  });
  const sink = new RecordingSink();
  const session = realModeAt(t, 'timeout', port, sink, { loadTimeoutMs: 3000 });
  await session.start();
  await sink.until(() => sink.statuses.some((s) => s.cause === 'timeout'), 60_000, 'cause timeout');
  const s = sink.statuses.find((x) => x.cause === 'timeout')!;
  t.equal(s.state, 'DISCONNECTED');
  t.equal(s.detail, 'cannot reach WhatsApp Web: no answer in 3 s');
  t.ok(connections >= 1, `the browser did connect to the origin (${connections})`);
  await sink.until(() => sink.statuses.filter((x) => x.cause === 'timeout').length >= 2, 30_000, 'a second attempt');
  t.ok((await session.health()).restarts >= 1, 'retried under the backoff');
  t.notOk(sink.states().includes('FAILED'), 'never FAILED');
});

t.test('a hung page: the probe restarts the browser, READY again without a scan', async (t) => {
  const sink = new RecordingSink();
  const session = simSession({ authDir: path.join(dir, 'hung'), scenarioFile, sink, tuning: { ...FAST, watchdogIntervalMs: 1500 } });
  t.teardown(() => session.stop());
  await startAndScan(session, sink);
  const before = sink.statuses.length;
  await session.sim!.fault('hang-page');
  await sink.until(() => sink.statuses.slice(before).some((s) => s.cause === 'page_hung'), 30_000, 'page_hung');
  await sink.until(() => session.status().state === 'READY', 60_000, 'READY again');
  t.notOk(sink.states().slice(before).includes('QR'), 'no new QR: the login was kept');
});

t.test('a detached frame (the tab lives, the handle to it went stale): the probe names it, the browser restarts, READY without a scan', async (t) => {
  const sink = new RecordingSink();
  const session = simSession({ authDir: path.join(dir, 'detached'), scenarioFile, sink, tuning: { ...FAST, watchdogIntervalMs: 1500 } });
  t.teardown(() => session.stop());
  await startAndScan(session, sink);
  await session.synced(); // idle, as after hours: only the probe touches the page
  const before = sink.statuses.length;
  await session.sim!.fault('detach-page');
  await sink.until(() => sink.statuses.slice(before).some((s) => s.cause === 'detached_frame'), 30_000, 'detached_frame');
  const s = sink.statuses.slice(before).find((x) => x.cause === 'detached_frame')!;
  t.equal(s.state, 'DISCONNECTED');
  t.match(s.detail, /^the page's frame is detached: .*(detached Frame|Session closed|Target closed)/i, `the detail names it (${s.detail})`);
  t.notOk(sink.statuses.slice(before).some((x) => x.cause === 'page_hung'), 'not taken for a hung page');
  await sink.until(() => session.status().state === 'READY', 60_000, 'READY again');
  t.notOk(sink.states().slice(before).includes('QR'), 'no new QR: the login was kept');
});

t.test('ready never firing after authenticated: restart keeping the login', async (t) => {
  const sink = new RecordingSink();
  const session = simSession({ authDir: path.join(dir, 'never-ready'), scenarioFile, sink, tuning: { ...FAST, readyTimeoutMs: 2000 } });
  t.teardown(() => session.stop());
  await session.sim!.fault('never-ready');
  await session.start();
  await sink.until(() => session.status().state === 'QR', 60_000, 'QR');
  await session.sim!.scan();
  await sink.until(() => sink.statuses.some((s) => s.cause === 'ready_timeout'), 30_000, 'ready_timeout');
  const at = sink.statuses.length;
  await sink.until(() => session.status().state === 'READY', 60_000, 'READY');
  t.notOk(sink.states().slice(at).includes('QR'), 'no second scan');
});

t.test('the phone unlinks: LOGGED_OUT/phone_unlinked, lastLogout kept across a restart, cleared on READY', async (t) => {
  const sink = new RecordingSink();
  const authDir = path.join(dir, 'logout');
  let session = simSession({ authDir, scenarioFile, sink, tuning: FAST });
  t.teardown(() => session.stop());
  await startAndScan(session, sink);
  await session.sim!.logoutFromPhone();
  await sink.until(() => session.status().state === 'LOGGED_OUT', 30_000, 'LOGGED_OUT');
  const out = session.status();
  t.equal(out.cause, 'phone_unlinked');
  t.equal(out.lastLogout?.by, 'phone');
  await sink.until(() => session.status().state === 'QR', 60_000, 'a fresh QR');
  t.equal(session.status().lastLogout?.at, out.lastLogout?.at, 'kept while the QR shows');
  await sink.until(() => sink.cursors.get(LOGOUT_SCOPE)?.cursor.by === 'phone', 5_000, 'persisted');
  await session.stop();
  // A new process: the store (the sink's sync_state) is all that is left.
  session = simSession({ authDir, scenarioFile, sink, tuning: FAST });
  await session.start();
  t.equal(session.status().lastLogout?.at, out.lastLogout?.at, 'read back at start');
  await sink.until(() => session.status().state === 'QR', 60_000, 'QR after the restart');
  await session.sim!.scan();
  await sink.until(() => session.status().state === 'READY', 60_000, 'READY');
  t.equal(session.status().lastLogout, null, 'cleared on READY');
  await sink.until(() => sink.cursors.get(LOGOUT_SCOPE)?.cursor.at === undefined, 5_000, 'cleared in the store');
});
