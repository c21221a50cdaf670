// POST /api/messages and Idempotency-Key against the real slice program (issue 18): slice/main.ts
// as a child process, real Chromium on the WhatsApp simulator page (the simulated phone stands in
// for WhatsApp's servers), its own PostgreSQL role and schema. A send to a number with no chat
// starts the chat from "New chat" and reaches the phone; the same number in three formats reaches
// the same chat; a number WhatsApp does not know is 404 WA_NUMBER_NOT_FOUND. The same key again
// after the slice was SIGKILLed and started again answers the same body and sends nothing: the
// phone holds one copy; the same key with another body is 400.
import t from 'tap';
import fs from 'node:fs';
import { freePort } from '../../test-support/pg.ts';
import { generateScenario, type SimScenario } from '../sim/scenario.ts';
import { TOKEN } from './helpers.ts';
import { killSliceProcess, loginOnDisk, simSliceEnv, sliceProcessSetting, startSliceProcess, waitFor, type SliceProcess } from './slice-process.ts';
import { CHROMIUM, requireChromium } from './wa-support.ts';

t.setTimeout(10 * 60_000);
requireChromium(t);

const NEW_NUMBER = '5511912345678';
const NEW_JID = `${NEW_NUMBER}@c.us`;
const UNKNOWN = '+5511987654321';

t.test('POST /api/messages and idempotent sends across a slice restart (simulated phone)', async (t) => {
  const { sliceUrl, db, authDir, scenarioFile } = await sliceProcessSetting(t, 'slice-idempotent-send');
  const scenario: SimScenario = { ...generateScenario({ chats: 4, messages: 10, seed: 18 }), incoming: [], unregisteredNumbers: [UNKNOWN] };
  t.notOk(scenario.chats.some((c) => c.jid === NEW_JID), 'the number has no chat yet');
  fs.writeFileSync(scenarioFile, JSON.stringify(scenario));

  const port = await freePort();
  const env = simSliceEnv({ sliceUrl, authDir, scenarioFile, chromium: CHROMIUM });
  let slice: SliceProcess = startSliceProcess(env, port);
  const kill = () => killSliceProcess(slice, authDir);
  t.teardown(kill);
  const call = async (method: string, url: string, body?: unknown, key?: string) => {
    const res = await fetch(`${slice.base}${url}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(key ? { 'idempotency-key': key } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: text ? JSON.parse(text) : null };
  };
  const state = async () => (await call('GET', '/api/wa').catch(() => ({ body: null }))).body?.state as string | undefined;
  const phoneBodies = async (jid: string) => ((await call('GET', `/sim/phone/messages?chatWaId=${encodeURIComponent(jid)}`)).body?.items ?? []).filter((m: { fromMe: boolean }) => m.fromMe).map((m: { body: string }) => m.body) as string[];
  const untilPhoneHas = (body: string) => waitFor(`the phone to hold "${body}"`, async () => (await phoneBodies(NEW_JID)).includes(body), 60_000, 100);
  const chatRows = () => db.selectFrom('chats').select(['id', 'wa_id']).where('wa_id', '=', NEW_JID).execute();

  await waitFor('the QR', async () => (await state()) === 'QR', 180_000);
  t.equal((await call('POST', '/sim/scan')).status, 200, 'the simulated phone scanned');
  await waitFor('READY and the initial sync', async () => (await state()) === 'READY' && slice.output().includes('initial sync done'), 180_000);
  await waitFor("the login written to Chromium's profile", async () => loginOnDisk(authDir), 120_000, 500);

  const KEY = 'order-4711-shipped';
  let first: { status: number; body: { id: number; chatId: number; body: string } };
  await t.test('to a number with no chat: the chat is started, the phone receives it', async (t) => {
    const r = await call('POST', '/api/messages', { to: '+55 11 91234-5678', body: 'your order 4711 has shipped' }, KEY);
    t.equal(r.status, 202, JSON.stringify(r.body));
    t.equal(r.replayed, null, 'not a replay');
    first = r as typeof first;
    const rows = await chatRows();
    t.same(rows.map((c) => Number(c.id)), [r.body.chatId], 'a chat appeared, the one the answer names');
    await untilPhoneHas('your order 4711 has shipped');
    t.pass('the phone received it');
  });

  await t.test('the same number in three formats reaches the same chat', async (t) => {
    for (const [to, body] of [
      [NEW_NUMBER, 'format: digits only'],
      [NEW_JID, 'format: WhatsApp id'],
      ['+55 (11) 91234.5678', 'format: punctuated'],
    ] as const) {
      const r = await call('POST', '/api/messages', { to, body });
      t.equal(r.status, 202, `${to}: ${JSON.stringify(r.body)}`);
      t.equal(r.body.chatId, first.body.chatId, `${to}: the same chat`);
      await untilPhoneHas(body);
    }
    t.equal((await chatRows()).length, 1, 'still one chat');
  });

  await t.test('a number WhatsApp does not know: 404 WA_NUMBER_NOT_FOUND, nothing stored', async (t) => {
    const r = await call('POST', '/api/messages', { to: UNKNOWN, body: 'hello?' }, 'unknown-1');
    t.equal(r.status, 404);
    t.equal(r.body.error.code, 'WA_NUMBER_NOT_FOUND');
    t.notOk(await db.selectFrom('chats').select('id').where('wa_id', '=', `${UNKNOWN.slice(1)}@c.us`).executeTakeFirst(), 'no chat stored');
    t.notOk(await db.selectFrom('idempotency_keys').select('key').where('key', '=', 'unknown-1').executeTakeFirst(), 'no key kept: nothing was sent');
  });

  await t.test('after a SIGKILL and a restart: the same key answers the same body and sends nothing', async (t) => {
    await kill();
    slice = startSliceProcess(env, port);
    await waitFor('READY again with the saved login', async () => (await state()) === 'READY', 180_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${slice.output().split('\n').slice(-40).join('\n')}`);
    });
    const again = await call('POST', '/api/messages', { to: '+55 11 91234-5678', body: 'your order 4711 has shipped' }, KEY);
    t.equal(again.status, 202);
    t.equal(again.replayed, 'true', 'Idempotent-Replayed: true');
    t.same(again.body, first.body, 'the same body as the first answer');
    const other = await call('POST', '/api/messages', { to: '+55 11 91234-5678', body: 'your order 4712 has shipped' }, KEY);
    t.equal(other.status, 400, 'the same key with another body');
    t.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    // Sends go to the page one at a time, in order: once this one is on the phone, a second copy
    // queued by the replay would be there too.
    const marker = await call('POST', '/api/messages', { to: NEW_JID, body: 'after the restart' });
    t.equal(marker.status, 202);
    await untilPhoneHas('after the restart');
    const bodies = await phoneBodies(NEW_JID);
    t.equal(bodies.filter((b) => b === 'your order 4711 has shipped').length, 1, 'the phone holds one copy');
    t.notOk(bodies.includes('your order 4712 has shipped'), 'the refused one was not sent');
    const stored = await db.selectFrom('messages').select('id').where('body', '=', 'your order 4711 has shipped').execute();
    t.equal(stored.length, 1, 'one message stored');
  });
});
