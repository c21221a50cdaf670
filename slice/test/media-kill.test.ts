// A SIGKILL in the middle of a download (simulated phone): slice/main.ts as a child process with real
// Chromium on the simulator page, its own PostgreSQL role and schema. The phone sends a 15 MB photo;
// while the slice reads it from the page into the media store's tmp/, the slice (and its Chromium)
// is killed with SIGKILL. Nothing half written may sit under a final name, and after a restart the
// photo is stored once: one message, one media row, one file, the bytes the phone sent.
import t from 'tap';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../test-support/pg.ts';
import { generateScenario, type SimScenario } from '../sim/scenario.ts';
import { auth } from './helpers.ts';
import { killSliceProcess, loginOnDisk, simSliceEnv, sliceApi, sliceProcessSetting, startSliceProcess, waitFor, type SliceProcess } from './slice-process.ts';
import { CHROMIUM, requireChromium } from './wa-support.ts';

t.setTimeout(10 * 60_000);
requireChromium(t);

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** Every file under a final name of the media store: <dir>/<2 hex>/<sha256>, with its content's sha256. */
function finalFiles(mediaDir: string): { name: string; sha: string }[] {
  if (!fs.existsSync(mediaDir)) return [];
  const out: { name: string; sha: string }[] = [];
  for (const d of fs.readdirSync(mediaDir)) {
    if (!/^[0-9a-f]{2}$/.test(d)) continue;
    for (const f of fs.readdirSync(path.join(mediaDir, d))) out.push({ name: f, sha: sha256(fs.readFileSync(path.join(mediaDir, d, f))) });
  }
  return out;
}

const tmpFiles = (mediaDir: string) => (fs.existsSync(path.join(mediaDir, 'tmp')) ? fs.readdirSync(path.join(mediaDir, 'tmp')) : []);

t.test('a slice killed during a download leaves no half file and stores the photo once after restart (simulated phone)', async (t) => {
  const { sliceUrl, db, authDir, scenarioFile } = await sliceProcessSetting(t, 'slice-media-kill');
  const mediaDir = path.join(authDir, 'media');
  const scenario: SimScenario = { ...generateScenario({ chats: 3, messages: 12, seed: 5 }), incoming: [] };
  fs.writeFileSync(scenarioFile, JSON.stringify(scenario));
  const chat = scenario.chats.find((c) => !c.isGroup)!;

  const port = await freePort();
  const env = simSliceEnv({ sliceUrl, authDir, scenarioFile, chromium: CHROMIUM });
  let slice: SliceProcess = startSliceProcess(env, port);
  const kill = () => killSliceProcess(slice, authDir);
  t.teardown(kill);
  const api = sliceApi(slice);
  const ready = async () => (await api('GET', '/api/wa').catch(() => ({ body: null }))).body?.state === 'READY';
  const synced = () => slice.output().includes('initial sync done');

  await waitFor('the QR', async () => (await api('GET', '/api/wa').catch(() => ({ body: null }))).body?.state === 'QR', 180_000);
  t.equal((await api('POST', '/sim/scan')).status, 200, 'the simulated phone scanned');
  await waitFor('READY and the initial sync', async () => (await ready()) && synced(), 180_000);
  await waitFor("the login written to Chromium's profile", async () => loginOnDisk(authDir), 120_000, 500);

  // Bytes that are not a picture a decoder would read: what counts is that they arrive whole.
  const photo = crypto.randomBytes(15 * 1024 * 1024);
  const sent = await api('POST', '/sim/incoming', { chatWaId: chat.jid, body: 'the whole part, in detail', media: { kind: 'image', mimeType: 'image/jpeg', dataBase64: photo.toString('base64') } });
  t.equal(sent.status, 200, 'the phone sent a 15 MB photo');
  const waId = sent.body.waId as string;

  const partial = await waitFor('a download under way in tmp/', async () => tmpFiles(mediaDir).find((f) => fs.statSync(path.join(mediaDir, 'tmp', f)).size > 0) ?? null, 60_000, 10);
  const cutAt = fs.statSync(path.join(mediaDir, 'tmp', partial)).size;
  await kill();
  t.ok(cutAt < photo.length, `killed with ${cutAt} of ${photo.length} bytes read`);
  t.notOk(finalFiles(mediaDir).some((f) => f.sha === sha256(photo)), 'the photo is not under a final name');
  for (const f of finalFiles(mediaDir)) t.equal(f.name, f.sha, `every file under a final name is whole (${f.name.slice(0, 12)}…)`);
  const before = await db.selectFrom('messages as m').leftJoin('media as d', 'd.message_id', 'm.id').select(['m.id', 'd.state']).where('m.wa_id', '=', waId).execute();
  t.equal(before.length, 1, 'the message was stored once before the kill');
  t.not(before[0]!.state, 'stored', `its media is not stored (state ${before[0]!.state})`);

  slice = startSliceProcess(env, port);
  await waitFor('READY again with the saved login', ready, 180_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${slice.output().split('\n').slice(-40).join('\n')}`);
  });
  await waitFor('the photo stored after the restart', async () => {
    const r = await db.selectFrom('messages as m').innerJoin('media as d', 'd.message_id', 'm.id').select('d.state').where('m.wa_id', '=', waId).executeTakeFirst();
    return r?.state === 'stored';
  }, 180_000, 250).catch((err: Error) => {
    throw new Error(`${err.message}\n${slice.output().split('\n').slice(-30).join('\n')}`);
  });
  t.notOk(tmpFiles(mediaDir).includes(partial), 'the cut-short download is gone from tmp/');
  const files = finalFiles(mediaDir).filter((f) => f.sha === sha256(photo));
  t.equal(files.length, 1, 'one file holds the photo, the bytes the phone sent');
  for (const f of finalFiles(mediaDir)) t.equal(f.name, f.sha, 'every file under a final name is whole');
  const rows = await db.selectFrom('messages as m').innerJoin('media as d', 'd.message_id', 'm.id').select(['m.id', 'd.sha256', 'd.size']).where('m.wa_id', '=', waId).execute();
  t.equal(rows.length, 1, 'one message, one media row: no duplicate');
  t.equal(rows[0]!.sha256, sha256(photo), 'its sha256 is the photo');
  t.equal(Number(rows[0]!.size), photo.length, 'its size is the photo');
  const blobs = await db.selectFrom('media_blobs').select('sha256').where('sha256', '=', sha256(photo)).execute();
  t.equal(blobs.length, 1, 'counted once against the quota');
  const res = await fetch(`${slice.base}/api/media/${(await db.selectFrom('media as d').innerJoin('messages as m', 'm.id', 'd.message_id').select('d.id').where('m.wa_id', '=', waId).executeTakeFirstOrThrow()).id}`, { headers: auth });
  t.equal(res.status, 200, 'GET /api/media serves it');
  t.equal(sha256(Buffer.from(await res.arrayBuffer())), sha256(photo), 'byte for byte');
});
