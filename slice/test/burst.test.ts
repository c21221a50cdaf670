// Bursts the page cannot show at once (issue 17's load bench found them lost): opening a chat in
// WhatsApp Web shows its last screenful (the simulator, standing in for WhatsApp's servers, shows
// 25 rows, as the real page loads a page of them), so a burst of 40 that arrives while another
// chat is open, or while the initial sync reads other chats, must be read back to the newest
// message already known, not only its last screenful. Real Chromium, the real DOM code.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateScenario, type SimScenario } from '../sim/scenario.ts';
import { RecordingSink, requireChromium, simSession, startAndScan } from './wa-support.ts';

requireChromium(t);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-wa-burst-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
// Enough history that the initial sync takes a while (so a burst lands during it).
const scenario: SimScenario = { ...generateScenario({ chats: 12, messages: 240, seed: 11 }), incoming: [] };
const scenarioFile = path.join(dir, 'scenario.json');
fs.writeFileSync(scenarioFile, JSON.stringify(scenario));
const sink = new RecordingSink();
const session = simSession({ authDir: path.join(dir, 'auth'), scenarioFile, sink });
t.teardown(() => session.stop());

const BURST = 40;
const bodiesIn = (chatWaId: string, prefix: string) =>
  [...sink.messagesById.values()].filter((m) => m.chatWaId === chatWaId && m.body.startsWith(prefix)).map((m) => m.body);

/** Waits for the whole burst; a failure names the messages that never came. */
async function allOf(chatWaId: string, prefix: string): Promise<void> {
  await sink.until(() => bodiesIn(chatWaId, prefix).length === BURST, 60_000, `${BURST} messages of the burst`).catch(() => {
    const got = new Set(bodiesIn(chatWaId, prefix));
    const missing = Array.from({ length: BURST }, (_, i) => `${prefix}${i}`).filter((b) => !got.has(b));
    throw new Error(`${missing.length} of the burst never reported: ${missing.join(', ')}`);
  });
}

t.test('a burst during the initial sync, in a chat the sync already read: every message', async (t) => {
  await startAndScan(session, sink);
  const first = scenario.chats[0]!.jid; // read first: the list is newest first and so is the scenario
  // Wait for the sync to have read the first chat, then burst into it while it reads the others.
  await sink.until(() => sink.cursors.has(`chat:${first}`), 60_000, 'the first chat synced');
  t.notOk(sink.cursors.size === scenario.chats.length, 'the sync was still reading other chats');
  await Promise.all(Array.from({ length: BURST }, (_, i) => session.sim!.deliverIncoming({ chatWaId: first, body: `during-sync ${i}` })));
  await session.synced();
  await allOf(first, 'during-sync ');
  t.equal(new Set(bodiesIn(first, 'during-sync')).size, BURST, 'each once');
});

t.test('a burst into a chat that is not open: every message, not only the last screenful', async (t) => {
  const target = scenario.chats[3]!.jid;
  await Promise.all(Array.from({ length: BURST }, (_, i) => session.sim!.deliverIncoming({ chatWaId: target, body: `burst ${i}` })));
  await allOf(target, 'burst ');
  t.equal(new Set(bodiesIn(target, 'burst ')).size, BURST);
});
