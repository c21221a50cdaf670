// Issue 14's pipeline on the slice's side (WhatsApp stand-in: no browser): new stages go before the
// closing ones (Won, Lost), a chat carries a deal value, and every stage answers with its column's
// totals.
import t from 'tap';
import { auth, buildApp, chat, openStore, sliceDb, WhatsAppStandIn } from './helpers.ts';

t.test('stages before Won/Lost, deal values and column totals (WhatsApp stand-in)', async (t) => {
  const fx = await sliceDb(t, 'slice-pipeline-deals');
  const store = await openStore(t, fx);
  const app = await buildApp(t, store, new WhatsAppStandIn());
  const req = (method: string, url: string, payload?: object) => app.inject({ method: method as 'GET', url, headers: auth, ...(payload ? { payload } : {}) });
  const stages = async () => (await req('GET', '/api/stages')).json().items as { id: number; name: string; outcome: string | null; chatCount: number; dealTotal: number }[];

  const before = await stages();
  t.same(before.map((s) => [s.name, s.outcome]), [['New lead', null], ['Contacted', null], ['Qualified', null], ['Proposal', null], ['Won', 'won'], ['Lost', 'lost']]);
  const created = await req('POST', '/api/stages', { name: 'Negotiation' });
  t.equal(created.statusCode, 201);
  t.same((await stages()).map((s) => s.name), ['New lead', 'Contacted', 'Qualified', 'Proposal', 'Negotiation', 'Won', 'Lost'], 'a new stage goes before Won and Lost');

  await store.sink.chats([chat(1), chat(2), chat(3)]);
  await store.flush();
  const chats = (await req('GET', '/api/chats')).json().items as { id: number; name: string; dealValue: number | null }[];
  t.same(chats.map((c) => c.dealValue), [null, null, null], 'no deal value until one is set');
  const negotiation = created.json().id as number;
  for (const [i, value] of [[0, 1200.5], [1, 300]] as const) {
    t.equal((await req('PUT', `/api/chats/${chats[i]!.id}/stage`, { stageId: negotiation })).statusCode, 200);
    const set = await req('PUT', `/api/chats/${chats[i]!.id}/deal`, { value });
    t.equal(set.statusCode, 200);
    t.equal(set.json().dealValue, value, 'the chat answers with its deal value');
  }
  const column = (await stages()).find((s) => s.id === negotiation)!;
  t.same([column.chatCount, column.dealTotal], [2, 1500.5], 'the column totals its chats and their deals');

  // Bad input names what is wrong and changes nothing.
  for (const body of [{ value: -1 }, { value: 'a lot' }, {}, { value: 1, extra: true }]) {
    const bad = await req('PUT', `/api/chats/${chats[0]!.id}/deal`, body);
    t.equal(bad.statusCode, 400, `refused: ${JSON.stringify(body)}`);
    t.match(bad.json().error.message, /value|extra|property/, bad.json().error.message);
  }
  t.equal((await req('PUT', '/api/chats/999999/deal', { value: 5 })).statusCode, 404);
  t.equal((await req('GET', `/api/chats/${chats[0]!.id}`)).json().dealValue, 1200.5, 'still the value set before');

  const cleared = await req('PUT', `/api/chats/${chats[0]!.id}/deal`, { value: null });
  t.equal(cleared.json().dealValue, null);
  t.same(((await stages()).find((s) => s.id === negotiation)!).dealTotal, 300);

  // A stage can be made a closing one; the next new stage goes before it.
  t.equal((await req('PATCH', `/api/stages/${negotiation}`, { outcome: 'won' })).json().outcome, 'won');
  await req('POST', '/api/stages', { name: 'Demo booked' });
  t.same((await stages()).map((s) => s.name), ['New lead', 'Contacted', 'Qualified', 'Proposal', 'Demo booked', 'Negotiation', 'Won', 'Lost']);
  t.equal((await req('PATCH', `/api/stages/${negotiation}`, { outcome: 'maybe' })).statusCode, 400, 'an outcome is won, lost or null');

  // A contact with no chat cannot go in the pipeline: a code of its own, nothing changed.
  await store.sink.contacts([{ waId: 'lonely@c.us', name: 'Nobody', phone: null }]);
  await store.flush();
  const lonely = (await req('GET', '/api/contacts?q=Nobody')).json().items[0];
  const refused = await req('PATCH', `/api/contacts/${lonely.id}`, { stageId: negotiation });
  t.equal(refused.statusCode, 409);
  t.equal(refused.json().error.code, 'CONTACT_HAS_NO_CHAT');
});
