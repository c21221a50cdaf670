// GET /internal/events: the slice's event log for the gateway's webhook worker (system only,
// schema-checked, in id order after a cursor), and the `changed` field that lets the worker tell an
// ack from a reaction from an assignment (message.updated, chat.updated).
import t from 'tap';
import { ACTING_MEMBER_HEADER, signActingMember } from '../../lib/acting-member.ts';
import { auth, buildApp, chat, message, openStore, sliceDb, TOKEN, WhatsAppStandIn } from './helpers.ts';

interface LogEvent {
  id: string;
  type: string;
  data: { id: number; chatId?: number; changed?: string[]; ack?: number; assignee?: unknown };
}

t.test('the event log for the system, with what changed', async (t) => {
  const fx = await sliceDb(t, 'slice-internal-events');
  const store = await openStore(t, fx);
  const app = await buildApp(t, store, new WhatsAppStandIn());
  const get = (query: string, headers: Record<string, string> = auth) => app.inject({ method: 'GET', url: `/internal/events${query}`, headers });

  await store.sink.chats([chat(1)]);
  await store.sink.messages([message(1, 1)]);
  const first = await get('?after=0&limit=1000');
  t.equal(first.statusCode, 200, first.body);
  const all = first.json().items as LogEvent[];
  t.ok(all.length >= 2, 'the log so far');
  t.same(all.map((e) => BigInt(e.id)), all.map((e) => BigInt(e.id)).sort((a, b) => (a < b ? -1 : 1)), 'in id order');
  t.equal(first.json().latestId, all.at(-1)!.id, 'latestId is the newest');
  const cursor = all.at(-1)!.id;

  await store.sink.messages([message(1, 1, { ack: 3 })]);
  await app.inject({
    method: 'PUT',
    url: '/internal/team',
    headers: auth,
    payload: { members: [{ id: '10', name: 'Olga', role: 'owner', available: true }], settings: { roundRobin: false, agentsSeeOwnChatsOnly: false } },
  });
  const chatId = all.find((e) => e.type === 'message.created')!.data.chatId!;
  const owner = { ...auth, [ACTING_MEMBER_HEADER]: signActingMember({ id: '10', role: 'owner', name: 'Olga', accountId: '1' }, TOKEN) };
  const assigned = await app.inject({ method: 'PUT', url: `/api/chats/${chatId}/assignee`, headers: owner, payload: { memberId: '10' } });
  t.equal(assigned.statusCode, 200, assigned.body);

  const after = (await get(`?after=${cursor}`)).json().items as LogEvent[];
  t.ok(after.every((e) => BigInt(e.id) > BigInt(cursor)), 'only what comes after the cursor');
  const ack = after.find((e) => e.type === 'message.updated');
  t.same(ack?.data.changed, ['ack'], 'an ack says so');
  t.equal(ack?.data.ack, 3);
  const assignment = after.filter((e) => e.type === 'chat.updated').at(-1);
  t.same(assignment?.data.changed, ['assignee'], 'an assignment says so');
  t.equal(after.filter((e) => e.type === 'message.created').length, 0);

  t.equal((await get('?after=0&limit=1')).json().items.length, 1, 'limit is honoured');
  t.equal((await get('?after=x')).statusCode, 400, 'a bad cursor is refused');
  t.equal((await get('?after=0&limit=0')).statusCode, 400, 'so is a limit of 0');
  t.equal((await get('?after=0', owner)).statusCode, 403, 'a member may not read it (system only)');
  t.equal((await get('?after=0', {})).statusCode, 401, 'nor anyone without the token');
});
