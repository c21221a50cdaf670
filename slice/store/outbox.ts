// Outgoing messages, between the store and the WhatsApp session: a send writes a pending row
// (ack 0, a temporary id) and answers with it at once; the session's send runs in the background
// and the real id and ack 1 replace the pending ones on success, ack -1 marks a failure. Every
// write goes through the store's serialised write, so each is announced like any other change.
import crypto from 'node:crypto';
import type { Logger } from '../../lib/logger.ts';
import type { WaSession } from '../wa/types.ts';
import { bumpChatsFromMessages, getChatsByIds } from './chats.ts';
import type { PendingEvent } from './events.ts';
import { PENDING_PREFIX, failPendingMessage, insertPendingMessage, resolvePendingMessage } from './messages.ts';
import type { MessageOut } from './shapes.ts';
import type { SliceStore } from './store.ts';

export class Outbox {
  readonly #store: SliceStore;
  readonly #session: Pick<WaSession, 'sendMessage'>;
  readonly #log: Logger;
  /** Sends in flight, plus pending rows a previous run left: while any may exist, ingest adopts. */
  #pending = 0;
  readonly #sends = new Set<Promise<void>>();

  constructor(store: SliceStore, session: Pick<WaSession, 'sendMessage'>, log: Logger) {
    this.#store = store;
    this.#session = session;
    this.#log = log;
    store.trackPendingSends(() => this.#pending > 0);
  }

  /** Counts the pending rows a previous run left (their sends are lost; WhatsApp's copy may still come). */
  async open(): Promise<void> {
    const row = await this.#store.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('wa_id', 'like', `${PENDING_PREFIX}%`)
      .executeTakeFirst();
    this.#pending += Number(row?.n ?? 0);
  }

  async send(chat: { id: string; wa_id: string }, body: string): Promise<MessageOut> {
    const pendingWaId = `${PENDING_PREFIX}${crypto.randomUUID()}`;
    const message = await this.#store.write(async (trx) => {
      const m = await insertPendingMessage(trx, chat.id, body, pendingWaId);
      const bumped = await bumpChatsFromMessages(trx, [{ chatId: chat.id, sentAt: m.sentAt, body: m.body, direction: 'out' }]);
      const events: PendingEvent[] = [{ type: 'message.created', data: m }];
      for (const c of await getChatsByIds(trx, bumped)) events.push({ type: 'chat.updated', data: c });
      return { result: m, events };
    });
    this.#pending++;
    const task = this.#deliver(String(message.id), chat.wa_id, body).finally(() => {
      this.#pending--;
    });
    this.#sends.add(task);
    void task.finally(() => this.#sends.delete(task));
    return message;
  }

  async #deliver(id: string, chatWaId: string, body: string): Promise<void> {
    try {
      const sent = await this.#session.sendMessage(chatWaId, body);
      await this.#store.write(async (trx) => {
        const r = await resolvePendingMessage(trx, id, sent.waId);
        return { result: undefined, events: r.message ? [{ type: 'message.updated', data: r.message }] : [] };
      });
    } catch (err) {
      this.#log.warn({ err, messageId: id }, 'sending failed');
      await this.#store
        .write(async (trx) => {
          const m = await failPendingMessage(trx, id);
          return { result: undefined, events: m ? [{ type: 'message.updated', data: m }] : [] };
        })
        .catch((e) => this.#log.error({ err: e }, 'could not mark a message failed'));
    }
  }

  /** Wait for sends in flight, at most `timeoutMs`. */
  async flush(timeoutMs = 5_000): Promise<void> {
    const sends = Promise.allSettled([...this.#sends]);
    await Promise.race([sends, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}
