// A slice app for bench/media.bench.ts in a process of its own (so the bench's client does not
// share its CPU): the store over the slice role's URL, WhatsApp's stand-in, one chat. Prints
// {"port": N, "chatId": "…"} once listening; stops on SIGTERM.
import pino from 'pino';
import { createDb } from '../../sql/database.ts';
import type { SliceDatabase } from '../../sql/slice/schema.ts';
import { buildSliceApp } from '../../slice/app.ts';
import { SliceStore } from '../../slice/store/store.ts';
import { WhatsAppStandIn } from '../../slice/test/helpers.ts';

const { SLICE_DB_URL, MEDIA_DIR, SLICE_TOKEN } = process.env as Record<string, string>;
const conn = createDb<SliceDatabase>(SLICE_DB_URL!, { max: 4 });
const store = new SliceStore(conn.withSchema('slice_1'), { schema: 'slice_1', sliceId: 1, log: pino({ level: 'silent' }), media: { dir: MEDIA_DIR! } });
await store.open();
const app = await buildSliceApp({ store, session: new WhatsAppStandIn(), token: SLICE_TOKEN!, waMode: 'wwebjs' });
await app.listen({ port: 0, host: '127.0.0.1' });
await store.sink.chats([{ waId: '5511900000001@c.us', name: 'Ana', phone: null, isGroup: false, preview: null, lastMessageAt: null, unreadCount: 0 }]);
await store.flush();
const chat = await store.db.selectFrom('chats').select('id').executeTakeFirstOrThrow();
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port, chatId: String(chat.id) })}\n`);
process.on('SIGTERM', () => {
  void (async () => {
    await app.close();
    await store.close();
    await conn.destroy();
    process.exit(0);
  })();
});
