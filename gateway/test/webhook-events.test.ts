// What each slice event becomes for webhook receivers: received/sent by direction, ack and reaction
// told apart by the slice's `changed`, an assignment as chat.assigned, one order key per chat, and
// event ids that are stable (the same slice event always gives the same id).
import t from 'tap';
import { deriveEvents } from '../plugins/webhooks.ts';

const types = (type: string, data: Record<string, unknown>) => deriveEvents('7', { id: '42', type, data }).map((e) => e.type);

t.test('slice events → webhook events', async (t) => {
  t.same(types('message.created', { id: 1, chatId: 5, direction: 'in' }), ['message.received']);
  t.same(types('message.created', { id: 1, chatId: 5, direction: 'out' }), ['message.sent']);
  t.same(types('message.updated', { id: 1, chatId: 5, changed: ['ack'] }), ['message.ack']);
  t.same(types('message.updated', { id: 1, chatId: 5, changed: ['reactions'] }), ['message.reaction']);
  t.same(types('message.updated', { id: 1, chatId: 5, changed: ['body'] }), [], 'an edit is neither');
  t.same(types('chat.updated', { id: 5, changed: ['assignee'] }), ['chat.assigned']);
  t.same(types('chat.updated', { id: 5, changed: ['assignee', 'lastMessage'] }), ['chat.assigned', 'chat.updated']);
  t.same(types('chat.updated', { id: 5 }), ['chat.updated'], 'no changed: a plain update');
  t.same(types('contact.updated', { id: 3 }), ['contact.updated']);
  t.same(types('wa.state', { state: 'READY' }), ['wa.state']);
  t.same(types('wa.qr', { qr: 'x' }), [], 'the QR is nobody else’s business');

  const [m] = deriveEvents('7', { id: '42', type: 'message.created', data: { id: 1, chatId: 5, direction: 'in', changed: ['x'] } });
  t.equal(m!.eventId, 'evt_7_42', 'the id comes from the account and the slice event: stable across reads');
  t.equal(m!.orderKey, '5', "a message is ordered with its chat's other events");
  t.notOk('changed' in (m!.data as object), 'the internal field is not sent');
  const both = deriveEvents('7', { id: '43', type: 'chat.updated', data: { id: 5, changed: ['assignee', 'labels'] } });
  t.equal(new Set(both.map((e) => e.eventId)).size, 2, 'two events of one slice event have distinct ids');
  t.ok(both.every((e) => e.orderKey === '5'));
  t.equal(deriveEvents('7', { id: '44', type: 'wa.state', data: {} })[0]!.orderKey, 'account');
});
