// Two chats with the same title, against the simulator (the test double for WhatsApp's servers) in
// real Chromium: a contact 111@c.us "Alice" and a group 999@g.us "Alice", the group on top. Both
// must be stored apart, and a message sent to one must reach that one on the simulated phone,
// never the other: the chat is identified by the id in the conversation header, not its title.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WaSessionHandle } from '../wa/index.ts';
import type { SimScenario } from '../sim/scenario.ts';
import type { SimPhone } from '../sim/phone.ts';
import { isAppError } from '../../lib/errors.ts';
import { RecordingSink, requireChromium, simSession, startAndScan } from './wa-support.ts';

requireChromium(t);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-wa-same-title-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const scenarioFile = path.join(dir, 'scenario.json');
const at = (min: number) => new Date(Date.UTC(2026, 10, 20, 10, min)).toISOString();
const scenario: SimScenario = {
  me: { jid: '5511000000000@c.us', name: 'Me' },
  contacts: [{ jid: '111@c.us', name: 'Alice', phone: '+111' }],
  chats: [
    {
      jid: '999@g.us',
      name: 'Alice',
      isGroup: true,
      messages: [{ id: '3AGROUP0001', fromMe: false, author: 'Bob', authorJid: '222@c.us', body: 'in the group called Alice', at: at(30), ack: 0 }],
    },
    {
      jid: '111@c.us',
      name: 'Alice',
      isGroup: false,
      messages: [{ id: '3ADIRECT001', fromMe: false, author: 'Alice', body: 'from Alice herself', at: at(10), ack: 0 }],
    },
    {
      jid: '333@c.us',
      name: 'Carol',
      isGroup: false,
      messages: [{ id: '3ACAROL0001', fromMe: false, author: 'Carol', body: 'hi from Carol', at: at(20), ack: 0 }],
    },
  ],
  incoming: [],
  acks: { deliveredAfterMs: 100, readAfterMs: 200 },
  // Today's WhatsApp Web: a message's data-id is its bare id, so only the header names the chat.
  bareMessageIds: true,
};
fs.writeFileSync(scenarioFile, JSON.stringify(scenario));

const sink = new RecordingSink();
const session: WaSessionHandle = simSession({ authDir: path.join(dir, 'auth'), scenarioFile, sink, tuning: { watchdogIntervalMs: 5000 } });
t.teardown(() => session.stop());
const phone = () => session.sim as unknown as SimPhone;
const phoneChat = (jid: string) => phone().chats().find((c) => c.jid === jid)!;

t.test('both chats titled "Alice" are synced and stored apart (simulator)', async (t) => {
  await startAndScan(session, sink);
  await session.synced();
  t.same([...sink.chatsById.keys()].sort(), ['111@c.us', '333@c.us', '999@g.us'], 'three chats, none merged, none under a title: id');
  t.equal(sink.chatsById.get('999@g.us')?.isGroup, true);
  t.equal(sink.chatsById.get('111@c.us')?.isGroup, false);
  t.equal(sink.chatsById.get('111@c.us')?.name, 'Alice');
  t.equal(sink.messagesById.get('3AGROUP0001')?.chatWaId, '999@g.us', "the group's message is the group's");
  t.equal(sink.messagesById.get('3ADIRECT001')?.chatWaId, '111@c.us', "Alice's message is Alice's");
});

t.test('a message sent to 111@c.us arrives at 111 on the phone, never in the group (simulator)', async (t) => {
  const before = phoneChat('999@g.us').messages.length;
  const toAlice = await session.sendMessage('111@c.us', 'only for Alice');
  await sink.until(() => phoneChat('111@c.us').messages.some((m) => m.id === toAlice.waId), 3000, 'the phone to get the message in 111');
  t.equal(phoneChat('111@c.us').messages.find((m) => m.id === toAlice.waId)?.body, 'only for Alice');
  t.equal(phoneChat('999@g.us').messages.length, before, 'nothing reached the group');
  t.equal(sink.messagesById.get(toAlice.waId)?.chatWaId, '111@c.us');

  // From one "Alice" straight to the other: the open title is the same, the chat is not.
  const toGroup = await session.sendMessage('999@g.us', 'for the group');
  await sink.until(() => phoneChat('999@g.us').messages.some((m) => m.id === toGroup.waId), 3000, 'the phone to get the message in 999');
  t.notOk(phoneChat('111@c.us').messages.some((m) => m.body === 'for the group'), 'the group message is not in 111');
  const again = await session.sendMessage('111@c.us', 'Alice again');
  await sink.until(() => phoneChat('111@c.us').messages.some((m) => m.id === again.waId), 3000, 'back in 111');
  t.notOk(phoneChat('999@g.us').messages.some((m) => m.body === 'Alice again'), 'and not in the group');
  t.notOk([...sink.messagesById.keys()].some((id) => id.includes('@')), "the header's chat id is never taken for a message");
});

t.test('when the open chat cannot be confirmed from the page, nothing is typed (simulator)', async (t) => {
  const count = () => phone().chats().reduce((n, c) => n + c.messages.length, 0);
  const before = count();
  await session.sim!.removeSelector('mainChatId');
  const err = await session.sendMessage('333@c.us', 'must not be typed').then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(isAppError(err), `an AppError: ${String(err)}`);
  t.match((err as { code?: string }).code, 'WA_CHAT_NOT_CONFIRMED');
  t.match(String((err as Error).message), /333@c\.us/, 'the message names the chat');
  await new Promise((r) => setTimeout(r, 500));
  t.equal(count(), before, 'no message reached any chat on the phone');
});
