// The WhatsApp side end to end against the simulator (the test double for WhatsApp's servers):
// real Chromium, the real whatsapp-web.js login lifecycle, the real DOM extraction, observer and
// composer. The sink is a recorder (the store's place).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWaSession, type WaSessionHandle } from '../wa/index.ts';
import { generateScenario, type SimScenario } from '../sim/scenario.ts';
import type { SimPhone } from '../sim/phone.ts';
import { CHROMIUM, RecordingSink, quietLog, requireChromium } from './wa-support.ts';

requireChromium(t);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-wa-sim-'));
const authDir = path.join(dir, 'auth');
const scenarioFile = path.join(dir, 'scenario.json');
// 20 chats (more than the list shows at once: it must be scrolled) and 260 messages (the busiest
// chats need several backfill pages of 25); no timed incoming messages, so "exactly" is exact.
const scenario: SimScenario = { ...generateScenario({ chats: 20, messages: 260, seed: 7 }), incoming: [], acks: { deliveredAfterMs: 150, readAfterMs: 400 } };
fs.writeFileSync(scenarioFile, JSON.stringify(scenario));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

let sink = new RecordingSink();
let session: WaSessionHandle;
const open = (s: RecordingSink) =>
  createWaSession({
    mode: 'sim',
    authDir,
    chromiumPath: CHROMIUM,
    simScenario: scenarioFile,
    simScanAfterMs: 0,
    sink: s,
    log: quietLog(),
    tuning: { watchdogIntervalMs: 5000 },
  });
t.teardown(async () => session?.stop());

const total = scenario.chats.reduce((n, c) => n + c.messages.length, 0);

t.test('QR, then the phone scans, then READY (the library lifecycle drives the states)', async (t) => {
  session = open(sink);
  await session.start();
  await sink.until(() => session.status().state === 'QR', 60_000, 'QR');
  t.match(session.status().qr, /^2@.+,.+,.+,.+,CHROME$/, 'the QR payload comes from whatsapp-web.js');
  t.equal((await session.health()).state, 'QR');
  t.equal(sink.chatsById.size, 0, 'nothing is read before login');
  await session.sim!.scan();
  await sink.until(() => session.status().state === 'READY', 30_000, 'READY');
  const states = sink.states();
  t.same(states.slice(states.indexOf('QR')), ['QR', 'AUTHENTICATING', 'READY']);
});

t.test('after READY the sink has every chat and every message of the scenario, exactly', async (t) => {
  await session.synced();
  t.equal(sink.chatsById.size, scenario.chats.length, 'chat count');
  for (const c of scenario.chats) {
    const got = sink.chatsById.get(c.jid);
    t.ok(got, `chat ${c.name}`);
    if (!got) continue;
    t.equal(got.name, c.name);
    t.equal(got.isGroup, c.isGroup);
    t.equal(got.lastMessageAt, c.messages[c.messages.length - 1]!.at, `${c.name} last activity`);
    t.same(sink.cursors.get(`chat:${c.jid}`)?.complete, true, `${c.name} backfill complete`);
  }
  t.equal(sink.messagesById.size, total, 'message count');
  let mismatches = 0;
  for (const c of scenario.chats) {
    for (const m of c.messages) {
      const got = sink.messagesById.get(m.id);
      const want = {
        waId: m.id,
        chatWaId: c.jid,
        direction: m.fromMe ? 'out' : 'in',
        author: m.author,
        body: m.body,
        sentAt: m.at,
        ack: m.fromMe ? m.ack : 0,
        mediaKind: m.media ?? null,
        quotedWaId: m.quotedId ?? null,
        recalled: !!m.recalled,
      };
      const have = got && Object.fromEntries(Object.keys(want).map((k) => [k, (got as unknown as Record<string, unknown>)[k]]));
      if (JSON.stringify(have) !== JSON.stringify(want)) {
        mismatches++;
        if (mismatches <= 5) t.same(have, want, `message ${m.id}`);
      }
    }
  }
  t.equal(mismatches, 0, 'every message field matches the scenario');
  const multi = scenario.chats.filter((c) => c.messages.length > 25);
  t.ok(multi.length > 0, 'the scenario has chats longer than one page of 25 (backfill by scrolling)');
  t.same((await session.health()).missingSelectors, [], 'the self-check finds every selector');
});

t.test('an incoming message reaches the sink within 1 s through the MutationObserver', async (t) => {
  // A chat that is not open (the list row changes, the slice opens it) and the open one.
  for (const c of [scenario.chats[0]!, scenario.chats[0]!]) {
    const t0 = Date.now();
    const { waId } = await session.sim!.deliverIncoming({ chatWaId: c.jid, body: `Olá! مرحبا 👋 ${t0}` });
    await sink.until(() => sink.messagesById.has(waId), 1000, 'the incoming message');
    const got = sink.messagesById.get(waId)!;
    t.equal(got.chatWaId, c.jid);
    t.equal(got.direction, 'in');
    t.equal(got.body, `Olá! مرحبا 👋 ${t0}`);
    t.ok(Date.now() - t0 <= 1000, `seen after ${Date.now() - t0} ms`);
  }
});

t.test('sendMessage types into the composer; the bubble appears and its ticks reach the sink', async (t) => {
  const c = scenario.chats.find((x) => !x.isGroup && x !== scenario.chats[0])!;
  const body = 'Pedido confirmado ✅ नमस्ते\nsecond line';
  const sent = await session.sendMessage(c.jid, body);
  t.match(sent.waId, /^3EB0[0-9A-F]{18}$/);
  t.ok(Date.parse(sent.sentAt) > Date.now() - 120_000, 'a current time');
  const phone = session.sim as unknown as SimPhone;
  const inPhone = () => phone.chats().find((x) => x.jid === c.jid)!.messages.find((m) => m.id === sent.waId);
  await sink.until(() => !!inPhone(), 3000, 'the phone to get the sent message');
  t.equal(inPhone()?.body, body, 'the simulated conversation shows the bubble (the phone got it)');
  t.equal(inPhone()?.fromMe, true);
  await sink.until(() => sink.messagesById.get(sent.waId)?.ack === 3, 5000, 'delivered then read ticks').catch((err) => {
    t.fail(`${err.message}: acks seen ${JSON.stringify(sink.messageCalls.flat().filter((m) => m.waId === sent.waId))}`);
  });
  const acks = sink.messageCalls.flat().filter((m) => m.waId === sent.waId).map((m) => m.ack);
  t.ok(acks.includes(2) || acks.includes(1), `ticks reported in order: ${acks.join(',')}`);
  t.same(acks, [...acks].sort((a, b) => a - b), 'ticks never go back');
  t.equal(sink.messagesById.get(sent.waId)!.body, body);
  await session.sim!.ackOutgoing(sent.waId, 4);
  await sink.until(() => sink.messagesById.get(sent.waId)?.ack === 4, 2000, 'played');
  t.equal(sink.chatsById.get(c.jid)!.lastMessageAt, sent.sentAt, 'the chat moves to the sent time');
  await t.rejects(session.sendMessage('nobody@c.us', 'x'), /unknown chat/);
  await t.rejects(session.sendMessage(c.jid, '   '), /empty/);
});

t.test('markRead opens the chat and reports it read', async (t) => {
  const c = scenario.chats[2]!;
  await session.sim!.deliverIncoming({ chatWaId: scenario.chats[1]!.jid, body: 'ping' });
  await session.markRead(c.jid);
  t.equal(sink.chatsById.get(c.jid)!.unreadCount, 0);
});

t.test('a selector that stops matching shows in health().missingSelectors', async (t) => {
  t.same((await session.health()).missingSelectors, []);
  await session.sim!.removeSelector('composer');
  t.same((await session.health()).missingSelectors, ['composer']);
  await session.sim!.removeSelector('chatTitle');
  const h = await session.health();
  t.same(h.missingSelectors.sort(), ['chatTitle', 'composer']);
  t.match(h.selectorsVersion, /\d/);
  t.ok(h.browserPid && h.browserMemoryBytes && h.browserMemoryBytes > 10 * 1024 * 1024, 'browser pid and memory');
});

t.test('restart with the same authDir: READY with no QR, and what arrived meanwhile is read', async (t) => {
  await session.stop();
  const before = sink.messagesById.size;
  const cursors = sink.cursors;
  sink = new RecordingSink();
  sink.cursors = cursors; // the store keeps sync_state across restarts
  session = open(sink);
  const c = scenario.chats[4]!;
  const { waId } = await session.sim!.deliverIncoming({ chatWaId: c.jid, body: 'sent while the slice was down' });
  await session.start();
  await sink.until(() => session.status().state === 'READY', 60_000, 'READY');
  t.notOk(sink.states().includes('QR'), `no QR on the way: ${sink.states().join(' → ')}`);
  await session.synced();
  t.ok(sink.messagesById.has(waId), 'the message kept by the phone is read after the restart');
  t.equal(sink.messagesById.get(waId)?.chatWaId, c.jid);
  t.ok(sink.messagesById.size >= scenario.chats.length, `re-read ${sink.messagesById.size} of ${before + 1} visible rows`);
  t.same((await session.health()).missingSelectors, [], 'a new page: every selector matches again');
});

t.test('the phone removes the device: LOGGED_OUT, then a new QR', async (t) => {
  await session.sim!.logoutFromPhone();
  await sink.until(() => sink.states().includes('LOGGED_OUT'), 10_000, 'LOGGED_OUT');
  await sink.until(() => session.status().state === 'QR', 60_000, 'a new QR');
  t.pass('QR again');
});
