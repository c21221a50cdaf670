// Faults in the Docker runtime (issue 17), each provoked for real: the slice's container killed
// with SIGKILL while the phone delivers a stream and while a send is in flight, and the
// supervisor killed with SIGKILL. Real Docker, real slice image, real Chromium and PostgreSQL;
// only WhatsApp's servers are the simulator (WA_MODE=sim). The Docker daemon restart and the
// out-of-memory kill are in faults-docker.exclusive.test.ts (they disturb other Docker tests).
import t from 'tap';
import { deliverStream, faultRig, someChat, waitFor } from './faults-docker-setup.ts';
import { docker, sleep, waitForState } from './helpers.ts';

// A container start compiles the slice and launches Chromium: minutes on 2 shared cores.
t.setTimeout(15 * 60_000);
const ID = 41;
const t0 = Date.now();
const rig = await faultRig(t, 'faults-docker', ID);
t.comment(`slice linked (READY) in ${Date.now() - t0} ms`);
const chat = await someChat(rig);

/** The phone's copy of the chat, as the simulator keeps it. */
async function phoneMessages(): Promise<Array<{ waId: string; fromMe: boolean; body: string; ack: number }>> {
  const r = await rig.api('GET', `/sim/phone/messages?chatWaId=${encodeURIComponent(chat.wa_id)}`);
  if (r.status !== 200) throw new Error(`GET /sim/phone/messages: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.items;
}

t.test('the slice SIGKILLed (docker kill -s KILL) while 50 messages arrive: after the restart each is in PostgreSQL exactly once, no new QR', async (t) => {
  const before = rig.container()!;
  const restartsBefore = (await rig.client.call('slice.getInfo', { id: ID })).restarts;
  let killedAt = 0;
  const stream = deliverStream(rig, chat.wa_id, 'stream', 50, (i) => {
    if (i === 14) {
      killedAt = Date.now();
      docker('kill', '-s', 'KILL', `wank-slice-${ID}`);
    }
  });
  const acked = await stream;
  t.equal(acked.length, 50, 'the phone delivered all 50 (those met by a dead slice again after its restart)');
  const info = await waitForState(rig.client, ID, 'RUNNING', 180_000, (i) => i.restarts === restartsBefore + 1);
  t.not(rig.container()!.id, before.id, 'the supervisor restarted it in a new container');
  t.equal(info.restarts, restartsBefore + 1, 'one restart');
  const seen = await rig.untilWa('READY again', (s) => s === 'READY', 180_000);
  t.comment(`READY again ${Date.now() - killedAt} ms after the kill`);
  t.notOk(seen.includes('QR'), `READY without a new QR (${seen.join(' → ')})`);

  const phone = (await phoneMessages()).filter((m) => !m.fromMe && /^stream \d+$/.test(m.body));
  const wanted = new Set(phone.map((m) => m.waId));
  t.same(acked.filter((id) => !wanted.has(id)), [], 'every acknowledged delivery is on the phone');
  await waitFor('every streamed message in PostgreSQL', async () => {
    const rows = await rig.query(`select count(*)::int as n from ${rig.schema}.messages where body like 'stream %'`);
    return rows[0].n >= phone.length;
  }, 120_000, 500).catch(async (err) => {
    const have = new Set((await rig.query<{ wa_id: string }>(`select wa_id from ${rig.schema}.messages where body like 'stream %'`)).map((r) => r.wa_id));
    t.fail(`${err.message}: missing ${JSON.stringify(phone.filter((m) => !have.has(m.waId)).map((m) => m.body))} of ${phone.length}`);
    t.comment((await rig.client.call('slice.tailLog', { id: ID, lines: 80 })).lines.join('\n'));
  });
  await sleep(1500); // a late duplicate would show up as an extra row
  const rows = await rig.query<{ wa_id: string; body: string }>(`select wa_id, body from ${rig.schema}.messages where body like 'stream %'`);
  const count = new Map<string, number>();
  for (const r of rows) count.set(r.wa_id, (count.get(r.wa_id) ?? 0) + 1);
  t.same(phone.filter((m) => count.get(m.waId) !== 1).map((m) => `${m.body}: ${count.get(m.waId) ?? 0}`), [], 'each of the phone\'s messages stored exactly once');
  t.equal(rows.length, phone.length, 'no row the phone does not have');
  const numbers = new Set(rows.map((r) => Number(r.body.split(' ')[1])));
  t.equal(numbers.size, 50, 'all 50 numbers arrived');
});

t.test('the slice SIGKILLed right after a send was accepted (202): the send is delivered once or reported failed, never twice, never left pending', async (t) => {
  const restartsBefore = (await rig.client.call('slice.getInfo', { id: ID })).restarts;
  const body = `send under fire ${Date.now()}`;
  const r = await rig.api('POST', `/api/chats/${chat.id}/messages`, { body });
  // Right after the answer: the page may not have typed a letter yet.
  docker('kill', '-s', 'KILL', `wank-slice-${ID}`);
  const killedAt = Date.now();
  t.equal(r.status, 202, 'accepted');
  const messageId = String(r.body.id);
  t.match(r.body.waId ?? r.body.wa_id ?? '', /^pending:/, 'answered as a pending message');
  await waitForState(rig.client, ID, 'RUNNING', 180_000, (i) => i.restarts === restartsBefore + 1);
  const seen = await rig.untilWa('READY again', (s) => s === 'READY', 180_000);
  t.comment(`READY again ${Date.now() - killedAt} ms after the kill`);
  t.notOk(seen.includes('QR'), `READY without a new QR (${seen.join(' → ')})`);

  // Settled: a real WhatsApp id (the phone's copy adopted) or ack -1; a pending id with ack 0 is
  // neither, whatever the wait.
  let row: { wa_id: string; ack: number } | undefined;
  await waitFor('the send settled (sent, or failed)', async () => {
    row = (await rig.query(`select wa_id, ack from ${rig.schema}.messages where id = $1`, [messageId]))[0];
    return !!row && (!row.wa_id.startsWith('pending:') || row.ack === -1);
  }, 120_000, 500).catch((err) => {
    t.fail(`${err.message}: the message is still ${JSON.stringify(row)}`);
  });
  const onPhone = (await phoneMessages()).filter((m) => m.fromMe && m.body === body);
  t.ok(onPhone.length <= 1, `never sent twice (the phone holds it ${onPhone.length}×)`);
  const rows = await rig.query<{ id: string; wa_id: string; ack: number }>(`select id::text, wa_id, ack from ${rig.schema}.messages where body = $1`, [body]);
  t.equal(rows.length, 1, 'one row for it in PostgreSQL');
  if (onPhone.length === 1) {
    t.equal(rows[0]?.wa_id, onPhone[0]!.waId, 'delivered once: the row carries the id of the phone\'s copy');
    t.ok(rows[0]!.ack >= 1, 'with a sent tick');
  } else {
    t.equal(rows[0]?.ack, -1, 'not delivered: reported failed on the message (ack -1)');
  }
  t.comment(onPhone.length === 1 ? 'outcome: delivered once' : 'outcome: reported failed');
});

t.test('the supervisor SIGKILLed: the slice keeps running (same container, same process), a new supervisor adopts it without a restart', async (t) => {
  await waitForState(rig.client, ID, 'RUNNING', 60_000);
  const before = rig.container()!;
  t.ok(before.running && before.slicePid, `the slice's node process found (pid ${before.slicePid})`);
  const code = await rig.stopDaemon('SIGKILL');
  t.equal(code, null, 'the supervisor died of the signal');
  // Traffic while no supervisor runs: the slice serves on its own.
  const during = await deliverStream(rig, chat.wa_id, 'orphaned', 5);
  await sleep(2000);
  const alone = rig.container()!;
  t.same([alone.id, alone.startedAt, alone.slicePid], [before.id, before.startedAt, before.slicePid], 'same container, same StartedAt, same slice process while no supervisor runs');
  t.equal(await rig.waState(), 'READY', 'WhatsApp stays READY');

  const t1 = Date.now();
  await rig.restartDaemon();
  const info = await waitForState(rig.client, ID, 'RUNNING', 60_000);
  t.comment(`adopted (RUNNING) ${Date.now() - t1} ms after the new supervisor started`);
  // A new supervisor's count starts at 0 (it is "since the last explicit start", kept in memory):
  // 0 here says it did not restart the slice it found; the container's identity below says the same.
  t.equal(info.restarts, 0, 'restarts 0: adopted, not restarted');
  await sleep(3000); // an adoption that went wrong would restart it now
  const after = rig.container()!;
  t.same([after.id, after.startedAt, after.slicePid], [before.id, before.startedAt, before.slicePid], 'still the same container, StartedAt and process');
  t.equal((await rig.client.call('slice.getInfo', { id: ID })).state, 'RUNNING', 'still RUNNING once the adoption settled');
  const states = rig.events.filter((e) => e.id === ID && Date.parse(e.at) >= t1).map((e) => e.to);
  t.notOk(states.includes('STARTING') || states.includes('EXITED'), `no start or exit seen by the new supervisor (${states.join(' → ') || 'none'})`);
  const stored = await rig.query<{ wa_id: string }>(`select wa_id from ${rig.schema}.messages where wa_id = any($1)`, [during]);
  t.equal(stored.length, during.length, 'the messages that came meanwhile are stored');
});
