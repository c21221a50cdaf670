// The whole slice, for real: slice/main.ts as a child process with real Chromium, the real
// whatsapp-web.js lifecycle and DOM code, its own PostgreSQL role and schema, pointed at the
// simulator (the test double for WhatsApp's servers), driven through the slice's own HTTP API.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../test-support/pg.ts';
import { generateScenario, type SimScenario } from '../sim/scenario.ts';
import { auth } from './helpers.ts';
import { killProcessesUsing, simSliceEnv, sliceApi, sliceProcessSetting, startSliceProcess, waitFor, type SliceProcess } from './slice-process.ts';

// Real Chromium on a shared 2-core machine: the whole flow takes minutes, not the default 5.
t.setTimeout(15 * 60_000);

const CHROMIUM = process.env.CHROMIUM_PATH && !process.env.CHROMIUM_PATH.startsWith('/usr/bin/') ? process.env.CHROMIUM_PATH : '/usr/lib/chromium/chromium';

interface Frame {
  id: string;
  event: string;
  data: any;
  at: number;
}

/** Reads a slice's SSE stream into `frames` until closed; connects as soon as the slice listens. */
function follow(base: string, lastEventId: string | null) {
  const frames: Frame[] = [];
  const ac = new AbortController();
  const done = (async () => {
    let res: Response;
    for (;;) {
      try {
        res = await fetch(`${base}/events`, { headers: { ...auth, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }, signal: ac.signal });
        break;
      } catch (err) {
        if (ac.signal.aborted) return;
        await new Promise((r) => setTimeout(r, 100)); // not listening yet
      }
    }
    if (res.status !== 200 || !res.body) throw new Error(`/events answered ${res.status}`);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const f: Partial<Frame> = {};
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) f.id = line.slice(4);
          else if (line.startsWith('event: ')) f.event = line.slice(7);
          else if (line.startsWith('data: ')) f.data = JSON.parse(line.slice(6));
        }
        if (f.id) frames.push({ ...(f as Frame), at: Date.now() });
      }
    }
  })().catch(() => {});
  return { frames, close: () => (ac.abort(), done) };
}

t.test('the slice program against the simulator, end to end', async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.fail(`Chromium is missing at ${CHROMIUM}: install it (apt-get install -y chromium); this test needs a real browser`);
    return;
  }
  const { sliceUrl, db, authDir, scenarioFile } = await sliceProcessSetting(t, 'slice-flow');
  // 20 chats (the list must be scrolled), 240 messages (several chats need backfill pages), no
  // timed incoming messages so "exactly" is exact; the other side acknowledges quickly.
  const scenario: SimScenario = { ...generateScenario({ chats: 20, messages: 240, seed: 11 }), incoming: [], acks: { deliveredAfterMs: 200, readAfterMs: 600 } };
  fs.writeFileSync(scenarioFile, JSON.stringify(scenario));
  const total = scenario.chats.reduce((n, c) => n + c.messages.length, 0);

  const port = await freePort();
  const env = simSliceEnv({ sliceUrl, authDir, scenarioFile, chromium: CHROMIUM });
  let slice: SliceProcess = startSliceProcess(env, port);
  t.teardown(async () => {
    if (slice.child.exitCode === null && slice.child.signalCode === null) {
      slice.child.kill('SIGKILL');
      await slice.exited;
    }
    killProcessesUsing(authDir);
  });
  const api = sliceApi(slice);
  const waState = async () => (await api('GET', '/api/wa')).body?.state as string | undefined;
  const phoneState = () => JSON.parse(fs.readFileSync(path.join(authDir, 'sim-phone.json'), 'utf8')) as { chats: SimScenario['chats'] };

  let stream = follow(slice.base, '0');
  t.teardown(() => stream.close());

  await t.test('QR, the phone scans, READY', async (t) => {
    await waitFor('the slice to answer', async () => (await api('GET', '/health')).status === 200, 180_000);
    await waitFor('state QR', async () => (await waState()) === 'QR', 120_000);
    const wa = (await api('GET', '/api/wa')).body;
    t.match(wa.qr, /^2@/, 'the QR payload is served by GET /api/wa');
    await waitFor('a wa.qr event', async () => stream.frames.some((f) => f.event === 'wa.qr'), 5_000);
    t.equal((await api('POST', '/sim/scan')).status, 200);
    await waitFor('state READY', async () => (await waState()) === 'READY', 60_000);
    // /events follows the events table, so its READY frame may arrive just after GET /api/wa says so.
    await waitFor('READY on /events', async () => stream.frames.some((f) => f.event === 'wa.state' && f.data.state === 'READY'), 10_000);
    const states = stream.frames.filter((f) => f.event === 'wa.state').map((f) => f.data.state);
    t.same(states.slice(states.indexOf('QR')), ['QR', 'AUTHENTICATING', 'READY'], 'the states on /events');
  });

  await t.test('chats and messages in PostgreSQL match the scenario exactly', async (t) => {
    await waitFor(
      `${total} messages in PostgreSQL`,
      async () => Number((await db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n) >= total,
      180_000,
      500,
    );
    const chats = await db.selectFrom('chats').selectAll().execute();
    t.equal(chats.length, scenario.chats.length, 'chat count');
    const byWa = new Map(chats.map((c) => [c.wa_id, c]));
    for (const c of scenario.chats) {
      const row = byWa.get(c.jid);
      if (!t.ok(row, `chat ${c.name}`)) continue;
      t.equal(row!.name, c.name);
      t.equal(row!.is_group, c.isGroup);
      t.equal(row!.last_message_at?.toISOString(), c.messages.at(-1)!.at, `${c.name} last activity`);
    }
    const rows = await db.selectFrom('messages as m').innerJoin('chats as c', 'c.id', 'm.chat_id').select(['m.wa_id', 'c.wa_id as chat_wa_id', 'm.direction', 'm.author', 'm.body', 'm.sent_at', 'm.ack', 'm.media_kind', 'm.quoted_wa_id', 'm.recalled']).execute();
    t.equal(rows.length, total, 'message count, no extra rows');
    const got = new Map(rows.map((r) => [r.wa_id, r]));
    let mismatches = 0;
    for (const c of scenario.chats) {
      for (const m of c.messages) {
        const r = got.get(m.id);
        const have = r && {
          chat: r.chat_wa_id,
          direction: r.direction,
          author: r.author,
          body: r.body,
          sentAt: r.sent_at.toISOString(),
          ack: r.ack,
          mediaKind: r.media_kind,
          quoted: r.quoted_wa_id,
          recalled: r.recalled,
        };
        const want = {
          chat: c.jid,
          direction: m.fromMe ? 'out' : 'in',
          author: m.author,
          body: m.body,
          sentAt: m.at,
          ack: m.fromMe ? m.ack : 0,
          mediaKind: m.media ?? null,
          quoted: m.quotedId ?? null,
          recalled: !!m.recalled,
        };
        if (JSON.stringify(have) !== JSON.stringify(want)) {
          mismatches++;
          if (mismatches <= 5) t.same(have, want, `message ${m.id}`);
        }
      }
    }
    t.equal(mismatches, 0, 'every message field matches the scenario');
    const list = (await api('GET', '/api/chats?limit=100')).body;
    t.equal(list.items.length, scenario.chats.length, 'GET /api/chats lists them all');
  });

  let lastEventBeforeKill = '0';

  await t.test('an incoming message is in PostgreSQL and on /events within 1 s', async (t) => {
    const c = scenario.chats[3]!;
    const body = `Oi! Tem horário amanhã? 🙏 ${Date.now()}`;
    const t0 = Date.now();
    const r = await api('POST', '/sim/incoming', { chatWaId: c.jid, body });
    t.equal(r.status, 200);
    const waId = r.body.waId as string;
    const event = await waitFor('message.created on /events', async () => stream.frames.find((f) => f.event === 'message.created' && f.data.waId === waId), 5_000, 10);
    const row = await db.selectFrom('messages').selectAll().where('wa_id', '=', waId).executeTakeFirst();
    t.ok(row, 'the row is committed');
    t.equal(row?.body, body);
    t.ok(event.at - t0 <= 1000, `on /events ${event.at - t0} ms after the phone received it`);
    t.equal(event.data.body, body);
  });

  await t.test('a sent message appears in the simulated conversation and its ticks update', async (t) => {
    const c = scenario.chats.find((x) => !x.isGroup && x !== scenario.chats[3])!;
    const chatRow = await db.selectFrom('chats').select('id').where('wa_id', '=', c.jid).executeTakeFirstOrThrow();
    const body = 'Pedido confirmado ✅ obrigado!';
    const r = await api('POST', `/api/chats/${chatRow.id}/messages`, { body });
    t.equal(r.status, 202);
    t.equal(r.body.ack, 0);
    t.match(r.body.waId, /^pending:/);
    const id = String(r.body.id);
    // The observer may report the bubble (with its real id) while its clock still shows (ack 0):
    // the row takes the real id first, and counts as sent once WhatsApp's server took it.
    const sent = await waitFor('the real id and the clock gone', async () => {
      const row = await db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
      return row && !row.wa_id.startsWith('pending:') && row.ack >= 1 ? row : null;
    }, 20_000);
    t.ok(sent.ack >= 1, 'sent');
    const inPhone = () => phoneState().chats.find((x) => x.jid === c.jid)!.messages.find((m) => m.id === sent.wa_id);
    await waitFor('the phone to hold the message', async () => !!inPhone(), 5_000);
    t.equal(inPhone()!.body, body, 'the simulated conversation has the bubble');
    await waitFor('read ticks', async () => (await db.selectFrom('messages').select('ack').where('id', '=', id).executeTakeFirstOrThrow()).ack === 3, 10_000);
    const acks = stream.frames.filter((f) => f.data?.id === Number(id)).map((f) => f.data.ack);
    t.same(acks, [...acks].sort((a, b) => a - b), `ticks only go up on /events: ${acks.join(' → ')}`);
    t.ok(acks.includes(3) && acks[0] === 0, 'from pending to read');
    const copies = await db.selectFrom('messages').select('id').where('body', '=', body).execute();
    t.equal(copies.length, 1, 'the observer’s copy merged into the pending row');
    lastEventBeforeKill = stream.frames.at(-1)!.id;
  });

  await t.test('SIGKILL during incoming traffic, restart: nothing lost, nothing duplicated, no new QR', async (t) => {
    const acknowledged: string[] = [];
    let sending = true;
    const traffic = (async () => {
      for (let i = 0; sending; i++) {
        const c = scenario.chats[i % 5]!;
        try {
          const r = await api('POST', '/sim/incoming', { chatWaId: c.jid, body: `rush ${i} ⚡` });
          if (r.status === 200) acknowledged.push(r.body.waId);
        } catch {
          return; // the slice is gone
        }
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    await waitFor('traffic', async () => acknowledged.length >= 8, 20_000, 20);
    slice.child.kill('SIGKILL');
    await slice.exited;
    t.ok(killProcessesUsing(authDir).length > 0, 'its Chromium is killed with it (as a container kill would)');
    sending = false;
    await traffic;
    await stream.close();
    const lastSeen = stream.frames.at(-1)!.id;

    slice = startSliceProcess(env, port);
    stream = follow(slice.base, lastSeen);
    try {
      await waitFor('READY again', async () => (await waState()) === 'READY', 120_000, 200);
    } catch (err) {
      t.comment(slice.output().slice(-4000));
      throw err;
    }
    const phone = phoneState();
    const expected = phone.chats.reduce((n, c) => n + c.messages.length, 0);
    await waitFor(
      `all ${expected} messages the phone holds`,
      async () => Number((await db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n) >= expected,
      120_000,
      500,
    );
    await new Promise((r) => setTimeout(r, 1500)); // anything late would show up as an extra row
    const rows = await db.selectFrom('messages').select(['wa_id', 'body']).execute();
    const ids = new Set(rows.map((r) => r.wa_id));
    const phoneIds = phone.chats.flatMap((c) => c.messages.map((m) => m.id));
    t.same(phoneIds.filter((id) => !ids.has(id)), [], 'every message the phone holds is stored (nothing lost)');
    t.same(acknowledged.filter((id) => !ids.has(id)), [], `every incoming message acknowledged before the kill is stored (${acknowledged.length})`);
    t.equal(rows.length, expected, 'exactly as many rows as the phone has messages (nothing duplicated)');
    t.same(rows.filter((r) => r.wa_id.startsWith('pending:')), [], 'no pending row left');

    const after = stream.frames.filter((f) => BigInt(f.id) > BigInt(lastSeen));
    const states = after.filter((f) => f.event === 'wa.state').map((f) => f.data.state);
    t.notOk(states.includes('QR'), `no QR after the restart: ${states.join(' → ')}`);
    t.notOk(after.some((f) => f.event === 'wa.qr'), 'no wa.qr event after the restart');
    t.equal(states.at(-1), 'READY');
    const resumed = stream.frames.map((f) => BigInt(f.id));
    t.ok(resumed.every((v, i) => i === 0 || v > resumed[i - 1]!), '/events resumed across the restart in order');
    t.ok(BigInt(lastEventBeforeKill) <= BigInt(lastSeen));
  });

  await t.test('a selector removed from the simulator page shows in /health', async (t) => {
    const before = (await api('GET', '/health')).body;
    t.equal(before.ok, true, 'healthy first');
    t.same(before.missingSelectors, []);
    t.ok(before.browser.pid > 0 && before.browser.memoryBytes > 0, 'browser pid and memory');
    t.same(before.db, { ok: true });
    t.equal((await api('POST', '/sim/remove-selector', { name: 'composer' })).status, 200);
    const after = (await api('GET', '/health')).body;
    t.equal(after.ok, false, 'unhealthy');
    t.same(after.missingSelectors, ['composer']);
  });

  await t.test('a send the conversation header cannot confirm is marked failed and reaches no chat', async (t) => {
    const c = scenario.chats.find((x) => !x.isGroup && x !== scenario.chats[0])!;
    const chatRow = await db.selectFrom('chats').select('id').where('wa_id', '=', c.jid).executeTakeFirstOrThrow();
    t.equal((await api('POST', '/sim/remove-selector', { name: 'mainChatId' })).status, 200);
    const body = 'never typed into an unconfirmed chat';
    const r = await api('POST', `/api/chats/${chatRow.id}/messages`, { body });
    t.equal(r.status, 202);
    const id = String(r.body.id);
    const failed = await waitFor('the pending message to be marked failed', async () => {
      const row = await db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
      return row && row.ack === -1 ? row : null;
    }, 30_000);
    t.equal(failed.ack, -1, 'failed, not sent');
    t.notOk(phoneState().chats.some((x) => x.messages.some((m) => m.body === body)), 'no chat on the phone has it');
    // (The composer is gone too, since the test above: the log shows the send stopped before it.)
    t.match(slice.output(), `chat ${c.jid} could not be opened`, 'refused for want of the header id, before typing');
  });

  await t.test('SIGTERM: a clean exit 0', async (t) => {
    await stream.close();
    slice.child.kill('SIGTERM');
    const { code } = await slice.exited;
    t.equal(code, 0, slice.output().split('\n').slice(-5).join('\n'));
  });
});
