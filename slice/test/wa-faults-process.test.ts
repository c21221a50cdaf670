// Faults that used to end the slice PROCESS, so slice/main.ts runs as a child (an exit would show):
// real Chromium on the simulator page (the test double for WhatsApp's servers), its own
// PostgreSQL role and schema. A page closed while puppeteer, stealth and whatsapp-web.js set it up
// (their promises rejected with no one awaiting them), and a killed renderer: the slice stays up,
// READY again without a new scan, and what the phone delivered meanwhile arrives.
import t from 'tap';
import fs from 'node:fs';
import { freePort } from '../../test-support/pg.ts';
import { generateScenario, type SimScenario } from '../sim/scenario.ts';
import { descendants } from '../wa/browser.ts';
import { killProcessesUsing, loginOnDisk, simSliceEnv, sliceApi, sliceProcessSetting, startSliceProcess, waitFor, type SliceProcess } from './slice-process.ts';
import { CHROMIUM, requireChromium } from './wa-support.ts';

t.setTimeout(5 * 60_000);
requireChromium(t);

const { sliceUrl, db, authDir, scenarioFile } = await sliceProcessSetting(t, 'slice-wa-faults');
const scenario: SimScenario = { ...generateScenario({ chats: 2, messages: 4, seed: 11 }), incoming: [] };
fs.writeFileSync(scenarioFile, JSON.stringify(scenario));
const chat = scenario.chats.find((c) => !c.isGroup)!;
const slice: SliceProcess = startSliceProcess(simSliceEnv({ sliceUrl, authDir, scenarioFile, chromium: CHROMIUM }), await freePort());
t.teardown(async () => {
  if (slice.child.exitCode === null && slice.child.signalCode === null) {
    slice.child.kill('SIGKILL');
    await slice.exited;
  }
  killProcessesUsing(authDir);
});
let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
void slice.exited.then((e) => {
  exited = e;
});

const api = sliceApi(slice);
const wa = async () => (await api('GET', '/api/wa').catch(() => ({ body: null }))).body;
const states = () => [...slice.output().matchAll(/"state":"([A-Z_]+)"[^\n]*"msg":"whatsapp state"/g)].map((m) => m[1]);
const tail = () => slice.output().split('\n').slice(-40).join('\n');
const withLog = (err: Error) => {
  throw new Error(`${err.message}${exited ? ` (the slice exited: ${JSON.stringify(exited)})` : ''}\n${tail()}`);
};
const health = async () => (await api('GET', '/health')).body;
/** waitFor, ended at once by the slice exiting (it must not). */
const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, ms: number, everyMs = 100) =>
  Promise.race([waitFor(what, fn, ms, everyMs), slice.exited.then((e) => Promise.reject(new Error(`the slice exited (${JSON.stringify(e)}) while waiting for ${what}`)))]).catch(withLog);

t.test('linked: the phone scans, READY, the login on disk', async (t) => {
  await until('the QR', async () => (await wa())?.state === 'QR', 180_000);
  t.equal((await api('POST', '/sim/scan')).status, 200, 'the simulated phone scanned');
  await until('READY', async () => (await wa())?.state === 'READY', 120_000);
  // Before this, a killed browser loses the login (as a real WhatsApp Web login written moments ago).
  await until("the login written to Chromium's profile", async () => loginOnDisk(authDir), 120_000, 500);
});

t.test('a page closed during its set-up: the slice stays up, nothing unhandled, READY without a new scan', async (t) => {
  t.equal((await api('POST', '/sim/fault', { name: 'close-page-during-setup' })).status, 200, 'armed for the next page');
  const from = states().length;
  const logFrom = slice.output().length;
  // The next page comes with the next browser: this one goes away under the session.
  const pid = (await health()).browser.pid as number;
  process.kill(pid, 'SIGKILL');
  await until('the page closed during set-up, then READY again', async () => {
    const s = states().slice(from);
    return s.includes('STARTING') && s.lastIndexOf('READY') > s.lastIndexOf('STARTING') && (await wa())?.state === 'READY';
  }, 120_000, 200);
  const log = slice.output().slice(logFrom);
  t.equal(exited, null, 'the slice process is still running');
  t.match(log, /"cause":"page_closed"/, 'the fault happened: the page went during its set-up (cause page_closed)');
  // Owned where they start: none reaches the process handler (which would restart the browser once more).
  t.notMatch(log, /unhandledRejection|uncaughtException|an error escaped/, 'no unhandled rejection in its log');
  t.notOk(states().slice(from).includes('QR'), 'no new QR: the login was kept');
  t.ok((await health()).ok, '/health ok');
});

t.test('a killed renderer: READY again without a scan, and the message the phone delivered meanwhile arrives', async (t) => {
  const browserPid = (await health()).browser.pid as number;
  const renderers = descendants(browserPid).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--type=renderer');
    } catch {
      return false;
    }
  });
  t.ok(renderers.length >= 1, `a renderer under the browser (${renderers.length})`);
  const from = states().length;
  for (const p of renderers) process.kill(p, 'SIGKILL');
  await until('the crash reported', async () => states().slice(from).includes('DISCONNECTED'), 60_000, 100);
  // The phone holds what arrives while no page is open, as WhatsApp's servers do.
  const sent = await api('POST', '/sim/incoming', { chatWaId: chat.jid, body: 'sent while the renderer was down' });
  t.equal(sent.status, 200, 'the phone took the message');
  await until('READY again', async () => (await wa())?.state === 'READY', 120_000);
  t.notOk(states().slice(from).includes('QR'), 'no new QR: the login was kept');
  t.match(slice.output(), /"cause":"page_crashed"/, 'cause page_crashed');
  await until('the message stored', async () => db.selectFrom('messages').select('id').where('wa_id', '=', sent.body.waId).executeTakeFirst(), 60_000, 250);
  t.equal(exited, null, 'the slice process is still running');
});
