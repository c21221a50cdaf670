// GET /events for a member over real HTTP: with "agents see only their chats" on, an agent's
// stream (live and replayed) carries nothing of a chat assigned to someone else, and a chat
// reassigned away reaches them as chat.updated {id, hidden: true}.
import t from 'tap';
import { ACTING_MEMBER_HEADER, signActingMember } from '../../lib/acting-member.ts';
import { auth, buildApp, chat, message, openStore, sliceDb, TOKEN, WhatsAppStandIn } from './helpers.ts';

interface Frame {
  id: string;
  event: string;
  data: any;
}

function stream(url: string, headers: Record<string, string>) {
  const frames: Frame[] = [];
  const ac = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { headers, signal: ac.signal });
    let buf = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const f: Record<string, string> = {};
          for (const line of block.split('\n')) {
            const j = line.indexOf(':');
            if (j > 0) f[line.slice(0, j)] = line.slice(j + 1).replace(/^ /, '');
          }
          if (f.id && f.event) frames.push({ id: f.id, event: f.event, data: JSON.parse(f.data ?? 'null') });
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return {
    frames,
    async until(pred: () => boolean, ms = 10_000) {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end) throw new Error(`timed out with ${frames.length} frames`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => {
      ac.abort();
      return done;
    },
  };
}

t.test('event streams by visibility', async (t) => {
  const fx = await sliceDb(t, 'slice-team-events');
  const store = await openStore(t, fx, { batchMs: 5 });
  const app = await buildApp(t, store, new WhatsAppStandIn(), { heartbeatMs: 300 });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const put = (url: string, payload: object) => app.inject({ method: 'PUT', url, headers: auth, payload });
  await put('/internal/team', {
    members: [
      { id: '12', name: 'Ana', role: 'agent', available: true },
      { id: '13', name: 'Beto', role: 'agent', available: true },
    ],
    settings: { roundRobin: false, agentsSeeOwnChatsOnly: true },
  });
  await store.sink.chats([chat(1), chat(2)]);
  await store.flush();
  const id = async (n: number) => Number((await fx.db.selectFrom('chats').select('id').where('wa_id', '=', chat(n).waId).executeTakeFirstOrThrow()).id);
  const [c1, c2] = [await id(1), await id(2)];
  await put(`/api/chats/${c2}/assignee`, { memberId: '13' });

  const ana = { authorization: `Bearer ${TOKEN}`, [ACTING_MEMBER_HEADER]: signActingMember({ id: '12', role: 'agent', name: 'Ana', accountId: '1' }, TOKEN) };
  const live = stream(`${base}/events`, ana);
  const system = stream(`${base}/events`, { authorization: `Bearer ${TOKEN}` });
  t.teardown(() => Promise.all([live.close(), system.close()]));
  await new Promise((r) => setTimeout(r, 300));

  await store.sink.messages([message(2, 1, { body: 'secret for Beto' }), message(1, 1, { body: 'for anyone' })]);
  await store.flush();
  await system.until(() => system.frames.some((f) => f.event === 'message.created' && f.data.body === 'for anyone'));
  await live.until(() => live.frames.some((f) => f.event === 'message.created' && f.data.body === 'for anyone'));
  t.ok(system.frames.some((f) => f.data?.body === 'secret for Beto'), 'the system hears every chat');
  t.notOk(live.frames.some((f) => f.data?.body === 'secret for Beto'), "Ana does not hear Beto's chat's messages");
  t.notOk(live.frames.some((f) => f.event === 'chat.updated' && f.data.id === c2 && !f.data.hidden), "nor its chat's updates");

  await put(`/api/chats/${c1}/assignee`, { memberId: '13' });
  await live.until(() => live.frames.some((f) => f.event === 'chat.updated' && f.data.id === c1 && f.data.hidden === true));
  t.same(live.frames.filter((f) => f.event === 'chat.updated' && f.data.id === c1).at(-1)!.data, { id: c1, hidden: true }, 'a chat reassigned away: only its id, hidden');
  await put(`/api/chats/${c2}/assignee`, { memberId: null });
  await live.until(() => live.frames.some((f) => f.event === 'chat.updated' && f.data.id === c2 && f.data.assignee === null));
  t.pass('a chat unassigned comes into view whole');

  const replay = stream(`${base}/events?lastEventId=0`, ana);
  await replay.until(() => replay.frames.length > 0 && replay.frames.at(-1)!.id === live.frames.at(-1)!.id);
  await replay.close();
  t.notOk(replay.frames.some((f) => f.event.startsWith('message.') && f.data.chatId === c1), 'the replay judges by the assignment now: chat 1 is Beto\'s');
  t.ok(replay.frames.some((f) => f.event === 'message.created' && f.data.body === 'secret for Beto'), 'and chat 2 is open to all now');
});
