// The team's members and settings against a real PostgreSQL over real HTTP on loopback, with a
// stand-in slice (stand-in-slice.ts) behind the account so that /api/events streams are open:
// who may change whose role or availability, the last owner, removal (the member's stream ends at
// once; their sessions end when they are in no other account), leaving, the settings, the
// account's name, switching accounts and the owners' audit page.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { EventStream, waitUntil } from './system.ts';
import { StandInSlice } from './stand-in-slice.ts';
import { joinAs, signUp, standInSliceFor, startTeamTest, withoutOwnAccount, type Person } from './team-helpers.ts';

t.setTimeout(240_000);
const { admin, app, base: listening } = await startTeamTest(t, 'gateway-team-members', { LOGIN_LIMIT_PER_ADDRESS: '1000' }, { listen: true });
const base = listening!;

/** An owner, an admin and an agent in the owner's account, its slice a stand-in of its own. */
async function team(app: FastifyInstance) {
  const owner = await signUp(app, admin, `owner-${Math.random().toString(36).slice(2, 8)}@team.example`, base);
  const standIn = new StandInSlice();
  const port = await standIn.listen();
  t.teardown(() => standIn.close());
  await standInSliceFor(app, admin, owner.ownAccountId, port);
  const add = async (role: 'owner' | 'admin' | 'agent') =>
    joinAs(app, admin, await withoutOwnAccount(app, admin, await signUp(app, admin, `${role}-${Math.random().toString(36).slice(2, 8)}@team.example`, base)), owner.ownAccountId, role);
  return { owner, admin: await add('admin'), agent: await add('agent'), add };
}

const patch = (p: Person, id: string, body: unknown) => p.browser.request('PATCH', `/api/team/members/${id}`, body);

function openStream(p: Person): EventStream {
  const s = new EventStream(`${base}/api/events`, { cookie: p.browser.cookie! });
  t.teardown(() => s.close());
  return s;
}

t.test('the member list', async (t) => {
  const { owner, agent } = await team(app);
  const res = await agent.browser.request('GET', '/api/team/members');
  t.equal(res.statusCode, 200, res.body);
  const items = res.json().items;
  t.same(items.map((m: { role: string }) => m.role), ['owner', 'admin', 'agent'], 'oldest first');
  t.match(items[2], { id: agent.memberId, userId: agent.userId, email: agent.email, role: 'agent', available: true, you: true });
  t.match(items[0], { id: owner.memberId, you: false, name: owner.email.split('@')[0] });
  t.match(items[0].joinedAt, /^\d{4}-\d\d-\d\dT/);
});

t.test('roles and availability: who may change what', async (t) => {
  const { owner, admin: adm, agent } = await team(app);
  const own = await patch(agent, agent.memberId, { available: false });
  t.equal(own.statusCode, 200, own.body);
  t.match(own.json(), { id: agent.memberId, available: false });
  const others = await patch(agent, adm.memberId, { available: false });
  t.equal(others.statusCode, 403, 'an agent sets only their own availability');
  t.match(others.json(), { error: { code: 'ROLE_REQUIRED' } });
  t.equal((await patch(agent, agent.memberId, { role: 'admin' })).statusCode, 403, 'nor their own role');
  t.equal((await patch(agent, agent.memberId, {})).statusCode, 400, 'an empty change is refused');
  t.equal((await patch(agent, agent.memberId, { role: 'boss' })).statusCode, 400);
  t.equal((await patch(agent, '999999', { available: true })).statusCode, 404, 'MEMBER_NOT_FOUND');

  t.equal((await patch(adm, agent.memberId, { available: true })).statusCode, 200, 'an admin sets anyone’s availability');
  const promoted = await patch(adm, agent.memberId, { role: 'admin' });
  t.equal(promoted.statusCode, 200);
  t.equal(promoted.json().role, 'admin');
  t.equal((await agent.browser.request('GET', '/api/me')).json().member.role, 'admin', 'in force at once');
  t.equal((await patch(adm, agent.memberId, { role: 'agent' })).statusCode, 200);
  const makeOwner = await patch(adm, agent.memberId, { role: 'owner' });
  t.equal(makeOwner.statusCode, 403, 'only an owner makes owners');
  t.match(makeOwner.json(), { error: { code: 'ROLE_REQUIRED', message: /owner/ } });
  t.equal((await patch(adm, owner.memberId, { role: 'admin' })).statusCode, 403, 'or unmakes them');

  const last = await patch(owner, owner.memberId, { role: 'admin' });
  t.equal(last.statusCode, 409, 'the last owner cannot be demoted');
  t.match(last.json(), { error: { code: 'LAST_OWNER' } });
  t.equal((await patch(owner, adm.memberId, { role: 'owner' })).statusCode, 200, 'an owner makes an owner');
  t.equal((await patch(owner, owner.memberId, { role: 'admin' })).statusCode, 200, 'with another owner, an owner may step down');
  const stranger = await team(app);
  t.equal((await patch(stranger.owner, agent.memberId, { available: false })).statusCode, 404, 'another account’s member is not found');
  const audit = await admin.selectFrom('gateway.audit_log').select(['action', 'details']).where('account_id', '=', owner.ownAccountId).where('action', '=', 'team.member.role').execute();
  t.equal(audit.length, 4, 'each role change in the audit log');
});

t.test('removing a member ends their open stream at once; in no other account, their sessions too', async (t) => {
  const { owner, admin: adm, agent } = await team(app);
  const stream = openStream(agent);
  await stream.waitFor((e) => e.event === 'slice.state', 5_000);
  const ownerStream = openStream(owner);
  await ownerStream.waitFor((e) => e.event === 'slice.state', 5_000);
  t.equal((await adm.browser.request('DELETE', `/api/team/members/${owner.memberId}`)).statusCode, 403, 'an admin cannot remove an owner');
  const started = Date.now();
  const res = await adm.browser.request('DELETE', `/api/team/members/${agent.memberId}`);
  t.equal(res.statusCode, 204, res.body);
  await waitUntil('the removed member’s stream ended', 1_000, () => stream.ended);
  t.ok(Date.now() - started < 1_000, `ended within a second (${Date.now() - started} ms)`);
  t.equal((await agent.browser.request('GET', '/api/me')).statusCode, 401, 'their session ended (no other account)');
  t.equal((await agent.browser.request('GET', '/api/team/members')).statusCode, 401);
  t.notOk(ownerStream.ended, 'the others’ streams stay open');
  await ownerStream.waitFor((e) => e.event === 'team.updated', 5_000);
  t.pass('the others are told team.updated');
  t.equal((await adm.browser.request('DELETE', `/api/team/members/${agent.memberId}`)).statusCode, 404, 'gone');
  const row = await admin.selectFrom('gateway.audit_log').select(['actor', 'details']).where('account_id', '=', owner.ownAccountId).where('action', '=', 'team.member.remove').executeTakeFirstOrThrow();
  t.equal(row.actor, `user:${adm.userId}`);
  t.match(row.details, { memberId: agent.memberId, role: 'agent' });
});

t.test('a removed member who belongs to another account keeps signing in, there only', async (t) => {
  const { owner } = await team(app);
  const multi = await joinAs(app, admin, await signUp(app, admin, 'multi@team.example', base), owner.ownAccountId, 'agent');
  const stream = openStream(multi);
  await stream.waitFor((e) => e.event === 'slice.state', 5_000);
  t.equal((await owner.browser.request('DELETE', `/api/team/members/${multi.memberId}`)).statusCode, 204);
  await waitUntil('the stream in the account ended', 1_000, () => stream.ended);
  const me = await multi.browser.request('GET', '/api/me');
  t.equal(me.statusCode, 200, 'still signed in');
  t.equal(me.json().account.id, multi.ownAccountId, 'working in their own account now');
  t.same(me.json().accounts.map((a: { id: string }) => a.id), [multi.ownAccountId]);
  const switched = await multi.browser.request('POST', '/api/auth/switch-account', { accountId: owner.ownAccountId });
  t.equal(switched.statusCode, 404, 'and cannot switch back in');
  t.match(switched.json(), { error: { code: 'MEMBER_NOT_FOUND' } });
});

t.test('leaving; the last owner cannot', async (t) => {
  const { owner, agent } = await team(app);
  t.equal((await agent.browser.request('POST', '/api/team/leave')).statusCode, 204);
  t.notOk(await admin.selectFrom('gateway.members').select('id').where('id', '=', agent.memberId).executeTakeFirst(), 'the membership is gone');
  const last = await owner.browser.request('POST', '/api/team/leave');
  t.equal(last.statusCode, 409);
  t.match(last.json(), { error: { code: 'LAST_OWNER', message: /delete the account/ } });
  const removeSelf = await owner.browser.request('DELETE', `/api/team/members/${owner.memberId}`);
  t.equal(removeSelf.statusCode, 409, 'nor remove themselves');
  t.ok(await admin.selectFrom('gateway.audit_log').select('id').where('account_id', '=', owner.ownAccountId).where('action', '=', 'team.leave').executeTakeFirst(), 'team.leave audited');
});

t.test('settings: agents read them, owners change them', async (t) => {
  const { owner, admin: adm, agent } = await team(app);
  t.same((await agent.browser.request('GET', '/api/team/settings')).json(), { roundRobin: false, agentsSeeOwnChatsOnly: false });
  const byAdmin = await adm.browser.request('PUT', '/api/team/settings', { roundRobin: true, agentsSeeOwnChatsOnly: true });
  t.equal(byAdmin.statusCode, 403);
  const stream = openStream(agent);
  await stream.waitFor((e) => e.event === 'slice.state', 5_000);
  const set = await owner.browser.request('PUT', '/api/team/settings', { roundRobin: true, agentsSeeOwnChatsOnly: true });
  t.equal(set.statusCode, 200, set.body);
  t.same(set.json(), { roundRobin: true, agentsSeeOwnChatsOnly: true });
  t.same((await agent.browser.request('GET', '/api/team/settings')).json(), { roundRobin: true, agentsSeeOwnChatsOnly: true });
  await stream.waitFor((e) => e.event === 'team.updated', 5_000);
  t.equal((await owner.browser.request('PUT', '/api/team/settings', { roundRobin: true })).statusCode, 400, 'both settings are required');
});

t.test('the account’s name (owners) and switching accounts', async (t) => {
  const { owner, admin: adm, agent } = await team(app);
  t.equal((await adm.browser.request('PATCH', '/api/account', { name: 'Not mine' })).statusCode, 403);
  t.equal((await owner.browser.request('PATCH', '/api/account', { name: '   ' })).statusCode, 400, 'a blank name is refused');
  const renamed = await owner.browser.request('PATCH', '/api/account', { name: '  Padaria Central ' });
  t.equal(renamed.statusCode, 200, renamed.body);
  t.same(renamed.json(), { id: owner.ownAccountId, name: 'Padaria Central' });
  t.equal((await agent.browser.request('GET', '/api/me')).json().account.name, 'Padaria Central', 'every member sees it at once');

  const both = await joinAs(app, admin, await signUp(app, admin, 'both@team.example', base), owner.ownAccountId, 'agent');
  const before = both.browser.cookie;
  const back = await both.browser.request('POST', '/api/auth/switch-account', { accountId: both.ownAccountId });
  t.equal(back.statusCode, 200);
  t.match(back.json(), { account: { id: both.ownAccountId }, member: { role: 'owner' } });
  t.not(both.browser.cookie, before, 'a new session id');
  t.equal((await both.browser.request('GET', '/api/me')).json().account.id, both.ownAccountId, 'the session works there');
  t.equal((await both.browser.request('POST', '/api/auth/switch-account', { accountId: 'x' })).statusCode, 400);
});

t.test('the audit page: owners only, this account’s rows, newest first, page by page', async (t) => {
  const { owner, admin: adm, agent } = await team(app);
  const other = await team(app);
  await patch(agent, agent.memberId, { available: false });
  await owner.browser.request('PUT', '/api/team/settings', { roundRobin: true, agentsSeeOwnChatsOnly: false });
  await owner.browser.request('PATCH', '/api/account', { name: 'Audited' });
  await other.owner.browser.request('PATCH', '/api/account', { name: 'Elsewhere' });
  t.equal((await adm.browser.request('GET', '/api/account/audit')).statusCode, 403);
  const first = await owner.browser.request('GET', '/api/account/audit?limit=2');
  t.equal(first.statusCode, 200, first.body);
  const page = first.json();
  t.same(page.items.map((i: { action: string }) => i.action), ['account.rename', 'team.settings']);
  t.match(page.items[0], { actor: { kind: 'user', userId: owner.userId, name: owner.email.split('@')[0] }, details: { to: 'Audited' } });
  t.type(page.nextCursor, 'string');
  const second = (await owner.browser.request('GET', `/api/account/audit?limit=2&cursor=${page.nextCursor}`)).json();
  t.equal(second.items[0].action, 'team.member.available');
  t.equal(second.items[0].actor.userId, agent.userId);
  const all = (await owner.browser.request('GET', '/api/account/audit?limit=200')).json();
  t.equal(all.nextCursor, null);
  t.notOk(all.items.some((i: { details: { to?: string } }) => i.details.to === 'Elsewhere'), 'no other account’s rows');
  t.ok(all.items.some((i: { actor: { kind: string; name: string } }) => i.actor.kind === 'system' || i.actor.kind === 'user'));
  t.equal((await owner.browser.request('GET', '/api/account/audit?limit=0')).statusCode, 400);
  t.equal((await owner.browser.request('GET', '/api/account/audit?cursor=abc')).statusCode, 400);
});
