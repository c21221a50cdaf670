// The session's lifecycle around the browser, against the simulator (the test double for
// WhatsApp's servers) in real Chromium: stale profile locks, the flags, the pairing code, the
// watchdog restarting a crashed page while keeping the login, and logging out.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWaSession, type WaSessionHandle } from '../wa/index.ts';
import { chromiumArgs, launchBrowser, removeStaleProfileLocks } from '../wa/browser.ts';
import { generateScenario } from '../sim/scenario.ts';
import { CHROMIUM, RecordingSink, quietLog, requireChromium, simSession, startAndScan } from './wa-support.ts';
import { buildSliceApp } from '../app.ts';
import { TOKEN, auth, openStore, sliceDb } from './helpers.ts';

requireChromium(t);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-wa-session-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const scenarioFile = path.join(dir, 'scenario.json');
const base = generateScenario({ chats: 4, messages: 30, seed: 3 });
const timelineChat = base.chats.find((c) => !c.isGroup)!;
// One message from the scenario's timeline, 300 ms after READY.
fs.writeFileSync(scenarioFile, JSON.stringify({ ...base, incoming: [{ atMs: 300, chatJid: timelineChat.jid, body: 'from the timeline ⏰' }] }));

t.test('flags: one renderer, memory savers, pinned language, the profile dir', async (t) => {
  const args = chromiumArgs('/x/profile');
  for (const a of ['--user-data-dir=/x/profile', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--renderer-process-limit=1', '--disable-extensions', '--mute-audio', '--lang=en-US', '--disable-quic']) {
    t.ok(args.includes(a), a);
  }
  t.ok(args.some((a) => /^--js-flags=--max-old-space-size=\d+/.test(a)), 'a V8 heap cap');
  t.ok(args.includes('--no-zygote'), 'no zygote without the sandbox');
  const sandboxed = chromiumArgs('/x/profile', { sandbox: true });
  t.notOk(sandboxed.includes('--no-sandbox'), "with CHROMIUM_SANDBOX, Chromium's own sandbox is on");
  t.notOk(sandboxed.includes('--no-zygote'), '… with the zygote it needs');
});

t.test('stale Singleton* locks from another host are removed and Chromium starts', async (t) => {
  const profile = path.join(dir, 'stale-profile');
  fs.mkdirSync(profile, { recursive: true });
  fs.symlinkSync('otherhost-12345', path.join(profile, 'SingletonLock'));
  fs.symlinkSync('/tmp/nowhere/SingletonSocket', path.join(profile, 'SingletonSocket'));
  fs.symlinkSync('1234567890', path.join(profile, 'SingletonCookie'));
  const launched = await launchBrowser({ chromiumPath: CHROMIUM, userDataDir: profile, log: quietLog() });
  t.teardown(() => launched.browser.close());
  t.ok(launched.pid, 'a browser process');
  t.equal(await launched.browser.version().then((v) => /Chrom/.test(v)), true, 'it answers over DevTools');
  t.same(removeStaleProfileLocks(path.join(dir, 'empty')), [], 'nothing to remove in a fresh dir');
});

t.test('a browser an earlier slice left running on the profile is ended before a new one starts', async (t) => {
  const profile = path.join(dir, 'leftover-profile');
  const first = await launchBrowser({ chromiumPath: CHROMIUM, userDataDir: profile, log: quietLog() });
  t.teardown(() => first.browser.close().catch(() => {}));
  t.ok(first.pid, 'the first browser runs');
  // The slice dies hard: nothing closes the first browser (it leads a process group of its own).
  const second = await launchBrowser({ chromiumPath: CHROMIUM, userDataDir: profile, log: quietLog() });
  t.teardown(() => second.browser.close().catch(() => {}));
  let firstAlive = true;
  try {
    process.kill(first.pid!, 0);
  } catch {
    firstAlive = false;
  }
  t.notOk(firstAlive, 'the leftover browser is gone');
  const page = await second.browser.newPage();
  t.equal(await page.evaluate(() => 1 + 1), 2, 'the new browser works on the profile');
});

t.test('a missing Chromium fails with a clear error naming CHROMIUM_PATH', async (t) => {
  await t.rejects(launchBrowser({ chromiumPath: '/nonexistent/chromium', userDataDir: path.join(dir, 'p2'), log: quietLog() }), /CHROMIUM_PATH=\/nonexistent\/chromium/);
});

t.test('pairing code, watchdog restart after a renderer crash (login kept), logout', async (t) => {
  const sink = new RecordingSink();
  const session: WaSessionHandle = createWaSession({
    mode: 'sim',
    authDir: path.join(dir, 'auth'),
    chromiumPath: CHROMIUM,
    simScenario: scenarioFile,
    simScanAfterMs: 0,
    sink,
    log: quietLog(),
    tuning: { watchdogIntervalMs: 1000, backoff: { initialMs: 200, maxMs: 2000 } },
  });
  t.teardown(() => session.stop());
  await session.start();
  await sink.until(() => session.status().state === 'QR', 60_000, 'QR');
  await t.rejects(session.requestPairingCode('12'), /8 to 15 digits/);
  const code = await session.requestPairingCode('+55 11 90000-0000');
  t.match(code, /^[A-Z0-9]{8}$/, 'a pairing code from the library');
  await t.rejects(session.sendMessage('x@c.us', 'hi'), /not ready/);

  await session.sim!.scan();
  await sink.until(() => session.status().state === 'READY', 30_000, 'READY');
  await session.synced();
  await sink.until(() => [...sink.messagesById.values()].some((m) => m.body === 'from the timeline ⏰' && m.chatWaId === timelineChat.jid), 10_000, 'the timed incoming message');
  t.pass('the scenario timeline delivers its incoming message');
  const before = await session.health();
  t.equal(before.restarts, 0);

  // Crash the renderer the way a real crash looks to puppeteer.
  const page = (session as unknown as { page: import('puppeteer-core').Page }).page;
  const mark = sink.statuses.length;
  await page.goto('chrome://crash').catch(() => {});
  await sink.until(() => sink.statuses.slice(mark).some((s) => s.state === 'DISCONNECTED'), 15_000, 'DISCONNECTED after the crash');
  await sink.until(() => session.status().state === 'READY', 60_000, 'READY again');
  const after = sink.statuses.slice(mark).map((s) => s.state);
  t.notOk(after.includes('QR'), `restarted without a new QR: ${after.join(' → ')}`);
  t.equal((await session.health()).restarts, 1, 'one restart');
  await session.synced();
  t.equal(sink.chatsById.size, 4, 'the chats are read again after the restart');
  t.equal([...sink.messagesById.values()].filter((m) => m.body === 'from the timeline ⏰').length, 1, 'the timeline does not deliver twice after a restart');

  const mark2 = sink.statuses.length;
  await session.logout();
  t.equal(session.status().state, 'LOGGED_OUT', 'LOGGED_OUT');
  await sink.until(() => session.status().state === 'QR', 60_000, 'a new QR after logout');
  t.notOk(sink.statuses.slice(mark2).some((s) => s.state === 'READY'), 'the login is gone: the restarted browser needs a scan');
});

t.test('POST /api/wa/logout outside READY is a 409 over a real session (simulator), like the pairing code', async (t) => {
  const fx = await sliceDb(t, 'wa-session-logout');
  const store = await openStore(t, fx);
  const session: WaSessionHandle = simSession({ authDir: path.join(dir, 'auth-logout-409'), scenarioFile, sink: new RecordingSink() });
  t.teardown(() => session.stop());
  const app = await buildSliceApp({ store, session, token: TOKEN, waMode: 'sim' });
  t.teardown(() => app.close());
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  await session.start();
  const t0 = Date.now();
  while (session.status().state !== 'QR') {
    if (Date.now() - t0 > 60_000) throw new Error(`no QR within 60 s (state ${session.status().state})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const res = await fetch(`${base}/api/wa/logout`, { method: 'POST', headers: auth });
  const body = (await res.json()) as { error?: { kind: string; code: string; message: string } };
  t.equal(res.status, 409, `logout while the QR shows: ${JSON.stringify(body)}`);
  t.equal(body.error?.kind, 'FailedPrecondition');
  t.equal(body.error?.code, 'WA_NOT_READY');
  t.match(body.error?.message, /state QR/, 'the message names the state');
  t.equal(session.status().state, 'QR', 'nothing changed: the QR still shows');
  const pairing = await fetch(`${base}/api/wa/pairing-code`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ phoneNumber: '+5511900000000' }) });
  t.equal(pairing.status, 200, 'and a pairing code is still given in that state');
});

t.test('POST /api/wa/reload-qr starts the browser again for a fresh QR code, and is refused once linked (simulator)', async (t) => {
  const fx = await sliceDb(t, 'wa-session-reload-qr');
  const store = await openStore(t, fx);
  const sink = new RecordingSink();
  const session: WaSessionHandle = simSession({ authDir: path.join(dir, 'auth-reload-qr'), scenarioFile, sink });
  t.teardown(() => session.stop());
  const app = await buildSliceApp({ store, session, token: TOKEN, waMode: 'sim' });
  t.teardown(() => app.close());
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const until = async (what: string, ok: () => boolean, ms = 60_000) => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > ms) throw new Error(`${what} not within ${ms} ms (state ${session.status().state})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await session.start();
  await until('the QR', () => session.status().state === 'QR');
  const before = (await session.health()).restarts;
  const states: string[] = [];
  const seen = setInterval(() => {
    const s = session.status().state;
    if (states.at(-1) !== s) states.push(s);
  }, 20);
  t.teardown(() => clearInterval(seen));
  const res = await fetch(`${base}/api/wa/reload-qr`, { method: 'POST', headers: auth });
  t.equal(res.status, 202, 'asked for a new QR code');
  t.equal(((await res.json()) as { state: string }).state, 'STARTING', 'the answer says it is starting again');
  await until('a fresh QR', () => session.status().state === 'QR' && states.includes('STARTING'));
  t.equal((await session.health()).restarts, before + 1, 'the browser was started again');
  t.ok(session.status().qr, 'a QR code shows');

  await session.sim!.scan();
  await until('READY', () => session.status().state === 'READY');
  const linked = await fetch(`${base}/api/wa/reload-qr`, { method: 'POST', headers: auth });
  const body = (await linked.json()) as { error?: { code: string; message: string } };
  t.equal(linked.status, 409, 'once linked there is no QR code to reload');
  t.equal(body.error?.code, 'WA_ALREADY_LINKED');
  t.equal(session.status().state, 'READY', 'and the session is left alone');
});

t.test('a message that comes into a chat the initial sync has already read is not lost', async (t) => {
  // Enough history that every chat is scrolled back, and a long idle wait: the sync spends seconds
  // per chat, so "after the first chats, before the observer" is a wide window, not a race.
  const slow = generateScenario({ chats: 4, messages: 240, seed: 5 });
  const file = path.join(dir, 'scenario-slow-sync.json');
  fs.writeFileSync(file, JSON.stringify({ ...slow, incoming: [] }));
  const sink = new RecordingSink();
  const session: WaSessionHandle = simSession({ authDir: path.join(dir, 'auth-slow-sync'), scenarioFile: file, sink, tuning: { backfillIdleMs: 1500 } });
  t.teardown(() => session.stop());
  await startAndScan(session, sink);
  let synced = false;
  void session.synced().then(() => (synced = true));
  await sink.until(() => sink.chatsById.size >= 2, 60_000, 'the sync to have read two chats');
  const firstRead = [...sink.chatsById.keys()][0]!;
  t.notOk(synced, 'the initial sync is still reading the other chats');
  const { waId } = await session.sim!.deliverIncoming({ chatWaId: firstRead, body: 'while you were syncing' });
  await session.synced();
  await sink.until(() => sink.messagesById.has(waId) || [...sink.messagesById.values()].some((m) => m.body === 'while you were syncing'), 10_000, 'the message that came during the sync');
  const got = [...sink.messagesById.values()].find((m) => m.body === 'while you were syncing');
  t.equal(got?.chatWaId, firstRead, 'stored in its chat');
});

t.test("Debian's /usr/bin/chromium wrapper is replaced by the binary it wraps", async (t) => {
  const { resolveChromiumBinary } = await import('../wa/browser.ts');
  const wrapper = path.join(dir, 'chromium-wrapper');
  fs.writeFileSync(wrapper, '#!/bin/sh\nexec /usr/lib/chromium/chromium "$@"\n');
  t.equal(resolveChromiumBinary(wrapper), '/usr/lib/chromium/chromium');
  t.equal(resolveChromiumBinary(CHROMIUM), CHROMIUM, 'a binary stays');
});
