// The phone unlinks the device (WhatsApp → Linked devices → log out): the slice reports LOGGED_OUT
// and keeps the logout until it is linked again; the gateway's monitor sees it and tells the
// account's owners, once: a mail (a real SMTP server on loopback) and the audit trail, while the
// web app's banner reads /api/wa. Real supervisor (process runtime), a real slice in sim mode (real
// Chromium on the simulator page: the simulator stands in for WhatsApp's servers).
import fs from 'node:fs';
import t from 'tap';
import { createDb } from '../../sql/database.ts';
import { build, startDb } from './helpers.ts';
import { linkIn, MailCatcher } from './mail-catcher.ts';
import { assertChromium, reserveSliceIds, sleep, sliceRow, Supervisor, tempDir, waitUntil } from './system.ts';
import { signUp } from './team-helpers.ts';

t.setTimeout(420_000);
assertChromium();

const SLICE = 95; // this file's slice (port 5189)
const smtp = new MailCatcher();
const smtpUrl = await smtp.listen();
t.teardown(() => smtp.close());
const db = await startDb(t, 'gateway-wa-unlinked');
await reserveSliceIds(db.adminUrl, SLICE);
const admin = createDb<any>(db.adminUrl, { max: 2 });
t.teardown(() => admin.destroy());
const dir = tempDir('wa-unlinked');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
// The phone scans only when told: a logout must not be followed at once by a new link.
const supervisor = new Supervisor(dir, db.adminUrl, { SIM_SCAN_AFTER_MS: '0' });
await supervisor.start();
t.teardown(() => supervisor.stop());
const app = await build(t, db, { env: { SUPERVISOR_SOCKET: supervisor.socket, MONITOR_INTERVAL_MS: '500', SMTP_URL: smtpUrl, MAIL_FROM: 'Queunir <hello@queunir.test>' }, monitor: true });
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

const owner = await signUp(app, admin, 'owner@unlinked.example', base);

async function sim(route: string): Promise<Response> {
  const row = await sliceRow(db.adminUrl, SLICE);
  return fetch(`http://127.0.0.1:${row.port}${route}`, { method: 'POST', headers: { authorization: `Bearer ${row.token}` } });
}
const wa = async () => (await owner.browser.request('GET', '/api/wa')).json();

t.test('linked: connect, the phone scans, READY, no notice', async (t) => {
  const res = await owner.browser.request('POST', '/api/connect');
  t.equal(res.statusCode, 202, res.body);
  await waitUntil('the QR', 120_000, async () => (await owner.browser.request('GET', '/api/wa')).statusCode === 200 && (await wa()).state === 'QR');
  t.equal((await sim('/sim/scan')).status, 200);
  await waitUntil('READY', 60_000, async () => (await wa()).state === 'READY');
  t.match(await wa(), { state: 'READY', lastLogout: null, cause: null });
});

t.test('unlinked from the phone: LOGGED_OUT kept as lastLogout, the owner mailed once, the audit row written', async (t) => {
  const before = Date.now();
  t.equal((await sim('/sim/logout-from-phone')).status, 200);
  const status = await waitUntil('the logout reported', 60_000, async () => {
    const s = await wa();
    return s.lastLogout ? s : null;
  });
  t.equal(status.lastLogout.by, 'phone');
  t.ok(Date.parse(status.lastLogout.at) >= before - 1000, 'at the time of the logout');
  t.not(status.state, 'READY');

  const mail = await smtp.mailTo('owner@unlinked.example', 30_000, 0, '/link');
  t.match(mail.subject, /unlinked/);
  t.match(mail.text, /unlinked from Queunir on the phone/);
  t.match(mail.text, /no new message reaches your team/);
  t.equal(linkIn(mail, '/link').origin, 'http://localhost:3000', 'the link is under PUBLIC_URL');

  // The monitor goes on checking (every 500 ms): still one mail for one logout.
  await sleep(3_000);
  t.equal(smtp.mails.filter((m) => /unlinked/.test(m.subject ?? '')).length, 1, 'one mail, not one per health check');
  const audit = await admin.selectFrom('gateway.audit_log').selectAll().where('action', '=', 'wa.unlinked').execute();
  t.equal(audit.length, 1);
  t.match(audit[0], { actor: 'monitor', account_id: owner.ownAccountId, details: { sliceId: SLICE, by: 'phone', at: status.lastLogout.at } });
});

t.test('linked again: the notice is gone; a second unlink is a second mail', async (t) => {
  await waitUntil('a new QR after the logout', 60_000, async () => (await wa()).state === 'QR');
  t.ok((await wa()).lastLogout, 'the QR state still carries the logout (the banner stays)');
  t.equal((await sim('/sim/scan')).status, 200);
  await waitUntil('READY again', 60_000, async () => (await wa()).state === 'READY');
  t.equal((await wa()).lastLogout, null, 'cleared once linked');
  await sleep(1_500); // a health check sees the cleared logout
  t.equal((await sim('/sim/logout-from-phone')).status, 200);
  await smtp.mailTo('owner@unlinked.example', 30_000, 1, '/link');
  t.pass('a second mail for the second logout');
});
