// The team pushed to the slice (plugins/team-sync.ts), against a real PostgreSQL and a stand-in
// slice (stand-in-slice.ts, not a real slice) that keeps every PUT /internal/team: the body after a
// change, the bearer token, a push when the slice is seen RUNNING, and a failed push retried on
// the retry tick, without the user's request ever failing.
import t from 'tap';
import { build } from './helpers.ts';
import { waitUntil } from './system.ts';
import { StandInSlice } from './stand-in-slice.ts';
import { joinAs, signUp, standInSliceFor, startTeamTest, withoutOwnAccount } from './team-helpers.ts';

t.setTimeout(120_000);
const { db, admin, app } = await startTeamTest(t, 'gateway-team-sync', { TEAM_SYNC_RETRY_MS: '300', LOGIN_LIMIT_PER_ADDRESS: '1000' });

const standIn = new StandInSlice();
const port = await standIn.listen();
t.teardown(() => standIn.close());
const owner = await signUp(app, admin, 'owner@sync.example');
await admin.updateTable('gateway.users').set({ name: 'Olga Owner' }).where('id', '=', owner.userId).execute();
app.auth.forget(owner.userId);
const sliceId = await standInSliceFor(app, admin, owner.ownAccountId, port, 'sync-token');
const agent = await joinAs(app, admin, await withoutOwnAccount(app, admin, await signUp(app, admin, 'ana@sync.example')), owner.ownAccountId, 'agent');

const last = () => standIn.teamPuts[standIn.teamPuts.length - 1]!;

t.test('a change pushes the whole team and the settings, with the slice’s bearer token', async (t) => {
  const before = standIn.teamPuts.length;
  const res = await agent.browser.request('PATCH', `/api/team/members/${agent.memberId}`, { available: false });
  t.equal(res.statusCode, 200);
  await waitUntil('a push', 5_000, () => standIn.teamPuts.length > before);
  t.equal(last().authorization, 'Bearer sync-token');
  t.same(last().body, {
    members: [
      { id: owner.memberId, name: 'Olga Owner', role: 'owner', available: true },
      { id: agent.memberId, name: 'ana', role: 'agent', available: false },
    ],
    settings: { roundRobin: false, agentsSeeOwnChatsOnly: false },
  });
  const settings = await owner.browser.request('PUT', '/api/team/settings', { roundRobin: true, agentsSeeOwnChatsOnly: true });
  t.equal(settings.statusCode, 200);
  await waitUntil('the settings pushed', 5_000, () => (last().body as { settings: { roundRobin: boolean } }).settings.roundRobin === true);
  t.same((last().body as { settings: unknown }).settings, { roundRobin: true, agentsSeeOwnChatsOnly: true });
});

t.test('a removed member drops out of the list the slice gets', async (t) => {
  const extra = await joinAs(app, admin, await withoutOwnAccount(app, admin, await signUp(app, admin, 'extra@sync.example')), owner.ownAccountId, 'agent');
  // joinAs writes the row directly (no route): pushed here by hand.
  t.equal(await app.team.sync(owner.ownAccountId), true);
  t.ok(JSON.stringify(last().body).includes(`"id":"${extra.memberId}"`), 'the newcomer is in the pushed team');
  t.equal((await owner.browser.request('DELETE', `/api/team/members/${extra.memberId}`)).statusCode, 204);
  await waitUntil('the push without them', 5_000, () => !JSON.stringify(last().body).includes(`"id":"${extra.memberId}"`));
  t.same((last().body as { members: { id: string }[] }).members.map((m) => m.id), [owner.memberId, agent.memberId]);
});

t.test('a failed push never fails the request and is retried until the slice takes it', async (t) => {
  standIn.teamStatus = 503;
  const before = standIn.teamPuts.length;
  const res = await agent.browser.request('PATCH', `/api/team/members/${agent.memberId}`, { available: true });
  t.equal(res.statusCode, 200, 'the user’s request succeeds');
  await waitUntil('a refused push', 5_000, () => standIn.teamPuts.length > before);
  await waitUntil('marked for retry', 5_000, () => app.team.pending().includes(owner.ownAccountId));
  const refused = standIn.teamPuts.length;
  await waitUntil('retried on the tick', 5_000, () => standIn.teamPuts.length > refused);
  t.ok(app.team.pending().includes(owner.ownAccountId), 'still pending while the slice refuses');
  standIn.teamStatus = 204;
  await waitUntil('taken at last', 5_000, () => !app.team.pending().includes(owner.ownAccountId));
  t.match(last().body, { members: [{ id: owner.memberId }, { id: agent.memberId, available: true }] }, 'the latest team');
  const settled = standIn.teamPuts.length;
  await new Promise((r) => setTimeout(r, 1_000));
  t.equal(standIn.teamPuts.length, settled, 'no more pushes once it took it');
});

t.test('a slice that cannot be reached: the request still succeeds at once', async (t) => {
  await admin.updateTable('gateway.slices').set({ port: 9 }).where('id', '=', sliceId).execute();
  app.slices.invalidate(owner.ownAccountId);
  const started = Date.now();
  const res = await owner.browser.request('PATCH', '/api/account', { name: 'Unreachable' });
  t.equal(res.statusCode, 200);
  t.ok(Date.now() - started < 2_000, `answered in ${Date.now() - started} ms`);
  await waitUntil('marked for retry', 10_000, () => app.team.pending().includes(owner.ownAccountId));
  await admin.updateTable('gateway.slices').set({ port }).where('id', '=', sliceId).execute();
  app.slices.invalidate(owner.ownAccountId);
  await waitUntil('retried against the slice back', 10_000, () => !app.team.pending().includes(owner.ownAccountId));
  t.pass('pushed once the slice is reachable again');
});

t.test('the slice seen RUNNING gets the team again (app.slices.onRunning)', async (t) => {
  const before = standIn.teamPuts.length;
  await app.slices.recordObserved(sliceId, 'RUNNING', 'test: started again');
  await waitUntil('a push on RUNNING', 5_000, () => standIn.teamPuts.length > before);
  t.match(last().body, { members: [{ id: owner.memberId }, { id: agent.memberId }], settings: { roundRobin: true } });
});

t.test('a gateway that starts pushes the team to every running slice', async (t) => {
  const before = standIn.teamPuts.length;
  const another = await build(t, db, { env: { TEAM_SYNC_RETRY_MS: '300' } });
  await waitUntil('a push from the new process', 5_000, () => standIn.teamPuts.length > before);
  t.match(last().body, { members: [{ id: owner.memberId }, { id: agent.memberId }] });
  t.same(another.team.pending(), []);
});
