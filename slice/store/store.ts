// The slice's store: the one place that writes the schema. Every write that clients must hear
// about goes through `write()`, which serialises those transactions (in this process by a promise
// chain, across processes by an advisory lock held to commit), inserts the events in the same
// transaction and publishes them on the bus after commit. Ids of the events table therefore become
// visible in increasing order: a reader resuming after id N never misses a later commit.
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from '../../lib/logger.ts';
import type { ExtractedChat, ExtractedContact, ExtractedMessage, WaSession, WaStatus } from '../wa/types.ts';
import { addChatLabel, bumpChatsFromMessages, ensureChats, getChatsByIds, upsertChats } from './chats.ts';
import { getContactsByIds, upsertContacts } from './contacts.ts';
import { EventBus, insertEvents, pruneEvents, type PendingEvent, type SliceDb } from './events.ts';
import {
  PENDING_PREFIX,
  adoptPendingMessages,
  failPendingMessage,
  insertPendingMessage,
  resolvePendingMessage,
  upsertMessages,
  type MessageInput,
} from './messages.ts';
import type { MessageOut } from './shapes.ts';
import { StoreSink } from './sink.ts';

/** Second key of the advisory lock that serialises event-writing transactions of one schema. */
const EVENT_LOCK_NAMESPACE = 0x5145_5654; // "QEVT"

export interface SliceStoreOptions {
  /** The schema (slice_N) the db is scoped to; keys the advisory lock. */
  schema: string;
  sliceId: number;
  log: Logger;
  batchMs?: number;
  batchRows?: number;
  retentionDays?: number;
}

export class SliceStore {
  readonly db: SliceDb;
  readonly bus = new EventBus();
  readonly sink: StoreSink;
  readonly log: Logger;
  readonly options: Required<Omit<SliceStoreOptions, 'log'>>;
  #chain: Promise<unknown> = Promise.resolve();
  readonly #chatIds = new Map<string, string>();
  #pendingOutgoing = 0;
  readonly #sends = new Set<Promise<void>>();
  #status: WaStatus = { state: 'STARTING', qr: null, since: new Date().toISOString(), detail: null };
  #lastMessageAt: string | null = null;
  #pruneTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(db: SliceDb, options: SliceStoreOptions) {
    this.db = db;
    this.log = options.log;
    this.options = {
      schema: options.schema,
      sliceId: options.sliceId,
      batchMs: options.batchMs ?? 50,
      batchRows: options.batchRows ?? 500,
      retentionDays: options.retentionDays ?? 7,
    };
    this.sink = new StoreSink(this, { batchMs: this.options.batchMs, batchRows: this.options.batchRows });
  }

  /** Reads what a restart needs: pending sends left by a previous run, the last message time. */
  async open(): Promise<void> {
    const pending = await this.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('wa_id', 'like', `${PENDING_PREFIX}%`)
      .executeTakeFirst();
    this.#pendingOutgoing = Number(pending?.n ?? 0);
    const last = await this.db.selectFrom('messages').select((eb) => eb.fn.max('sent_at').as('t')).executeTakeFirst();
    this.#lastMessageAt = last?.t ? new Date(last.t as Date).toISOString() : null;
    const prune = () => {
      this.prune().catch((err) => this.log.warn({ err }, 'event pruning failed'));
    };
    prune();
    this.#pruneTimer = setInterval(prune, 3_600_000);
    this.#pruneTimer.unref();
  }

  get status(): WaStatus {
    return this.#status;
  }

  get lastMessageAt(): string | null {
    return this.#lastMessageAt;
  }

  /**
   * Run `fn` in a transaction serialised with every other event-writing one; its events are
   * inserted in that transaction and published after commit, in id order.
   */
  write<T>(fn: (trx: SliceDb) => Promise<{ result: T; events: PendingEvent[] }>): Promise<T> {
    const run = async (): Promise<T> => {
      const { result, published } = await this.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${EVENT_LOCK_NAMESPACE}, ${this.options.sliceId})`.execute(trx);
        const out = await fn(trx);
        const published = await insertEvents(trx, out.events);
        return { result: out.result, published };
      });
      this.bus.publish(published);
      return result;
    };
    const next = this.#chain.then(run, run);
    this.#chain = next.catch(() => {});
    return next;
  }

  // ---- what the WhatsApp side reports (called by the sink, batched) ---------------------------------

  async setStatus(status: WaStatus): Promise<void> {
    const prev = this.#status;
    this.#status = status;
    const events: PendingEvent[] = [];
    if (prev.state !== status.state || prev.detail !== status.detail) {
      events.push({ type: 'wa.state', data: { state: status.state, since: status.since, detail: status.detail } });
    }
    if (status.qr && status.qr !== prev.qr) events.push({ type: 'wa.qr', data: { qr: status.qr, since: status.since } });
    if (events.length === 0) return;
    await this.write(async () => ({ result: undefined, events }));
  }

  /** One batch of chats, contacts and messages in one transaction (see sink.ts). */
  async ingest(batch: { chats: ExtractedChat[]; contacts: ExtractedContact[]; messages: ExtractedMessage[] }): Promise<void> {
    if (batch.chats.length + batch.contacts.length + batch.messages.length === 0) return;
    const learned = new Map<string, string>();
    let newest = null as string | null;
    await this.write(async (trx) => {
      const events: PendingEvent[] = [];
      const changedChats = new Set<string>();
      const changedContacts = new Set<string>();

      // Contacts: those reported as such, and one per one-to-one chat of the list.
      const contactInput: ExtractedContact[] = [...batch.contacts];
      for (const c of batch.chats) if (!c.isGroup) contactInput.push({ waId: c.waId, name: c.name || null, phone: c.phone });
      const contacts = await upsertContacts(trx, contactInput);
      for (const id of contacts.changed) changedContacts.add(id);

      if (batch.chats.length > 0) {
        const links = new Map<string, string>();
        for (const c of batch.chats) {
          const id = !c.isGroup ? contacts.ids.get(c.waId) : undefined;
          if (id) links.set(c.waId, id);
        }
        for (const id of await upsertChats(trx, batch.chats, links)) changedChats.add(id);
      }

      if (batch.messages.length > 0) {
        const unknown = batch.messages.map((m) => m.chatWaId).filter((w) => !this.#chatIds.has(w) && !learned.has(w));
        if (unknown.length > 0) {
          const ensured = await ensureChats(trx, unknown);
          for (const [w, id] of ensured.ids) learned.set(w, id);
          for (const id of ensured.created) changedChats.add(id);
        }
        const input: MessageInput[] = batch.messages.map((m) => ({ ...m, chatId: (this.#chatIds.get(m.chatWaId) ?? learned.get(m.chatWaId))! }));
        if (this.#pendingOutgoing > 0) await adoptPendingMessages(trx, input.filter((m) => m.direction === 'out'));
        const rows = await upsertMessages(trx, input);
        const latest = new Map<string, { chatId: string; sentAt: string; body: string; direction: 'in' | 'out' }>();
        for (const r of rows) {
          events.push({ type: r.created ? 'message.created' : 'message.updated', data: stripCreated(r) });
          if (!r.created) continue;
          const key = String(r.chatId);
          const cur = latest.get(key);
          if (!cur || cur.sentAt < r.sentAt) latest.set(key, { chatId: key, sentAt: r.sentAt, body: r.body, direction: r.direction });
          if (!newest || newest < r.sentAt) newest = r.sentAt;
        }
        for (const id of await bumpChatsFromMessages(trx, [...latest.values()])) changedChats.add(id);
      }

      for (const chat of await getChatsByIds(trx, [...changedChats])) events.push({ type: 'chat.updated', data: chat });
      for (const contact of await getContactsByIds(trx, [...changedContacts])) events.push({ type: 'contact.updated', data: contact });
      return { result: undefined, events };
    });
    // Only after commit: a rolled-back transaction's chat ids must not be remembered.
    for (const [w, id] of learned) this.#chatIds.set(w, id);
    if (newest && (!this.#lastMessageAt || this.#lastMessageAt < newest)) this.#lastMessageAt = newest;
  }

  // ---- outgoing -----------------------------------------------------------------------------------------

  /**
   * Writes a pending message (ack 0, a temporary id), answers with it at once, and sends in the
   * background: the real id and ack 1 replace it on success, ack -1 marks a failure.
   */
  async sendMessage(chat: { id: string; wa_id: string }, body: string, session: Pick<WaSession, 'sendMessage'>): Promise<MessageOut> {
    const pendingWaId = `${PENDING_PREFIX}${crypto.randomUUID()}`;
    const message = await this.write(async (trx) => {
      const m = await insertPendingMessage(trx, chat.id, body, pendingWaId);
      const bumped = await bumpChatsFromMessages(trx, [{ chatId: chat.id, sentAt: m.sentAt, body: m.body, direction: 'out' }]);
      const events: PendingEvent[] = [{ type: 'message.created', data: m }];
      for (const c of await getChatsByIds(trx, bumped)) events.push({ type: 'chat.updated', data: c });
      return { result: m, events };
    });
    this.#pendingOutgoing++;
    const id = String(message.id);
    const task = (async () => {
      try {
        const sent = await session.sendMessage(chat.wa_id, body);
        await this.write(async (trx) => {
          const r = await resolvePendingMessage(trx, id, sent.waId);
          return { result: undefined, events: r.message ? [{ type: 'message.updated', data: r.message }] : [] };
        });
      } catch (err) {
        this.log.warn({ err, messageId: id }, 'sending failed');
        await this.write(async (trx) => {
          const m = await failPendingMessage(trx, id);
          return { result: undefined, events: m ? [{ type: 'message.updated', data: m }] : [] };
        }).catch((e) => this.log.error({ err: e }, 'could not mark a message failed'));
      } finally {
        this.#pendingOutgoing--;
      }
    })();
    this.#sends.add(task);
    void task.finally(() => this.#sends.delete(task));
    return message;
  }

  // ---- CRM writes that clients hear about -----------------------------------------------------------

  /** Run a change to chats and publish chat.updated for `chatIds(result)` after commit. */
  changeChats<T>(fn: (trx: SliceDb) => Promise<{ result: T; chatIds: string[]; contactIds?: string[] }>): Promise<T> {
    return this.write(async (trx) => {
      const out = await fn(trx);
      const events: PendingEvent[] = [];
      for (const c of await getChatsByIds(trx, out.chatIds)) events.push({ type: 'chat.updated', data: c });
      for (const c of await getContactsByIds(trx, out.contactIds ?? [])) events.push({ type: 'contact.updated', data: c });
      return { result: out.result, events };
    });
  }

  async labelChat(chatId: string, labelId: number): Promise<void> {
    await this.changeChats(async (trx) => ({ result: undefined, chatIds: (await addChatLabel(trx, chatId, labelId)) ? [chatId] : [] }));
  }

  async prune(): Promise<number> {
    const cutoff = new Date(Date.now() - this.options.retentionDays * 86_400_000);
    const n = await pruneEvents(this.db, cutoff);
    if (n > 0) this.log.info({ deleted: n }, 'pruned old events');
    return n;
  }

  /** Write out what is batched and wait for sends in flight (bounded by `timeoutMs`). */
  async flush(timeoutMs = 5_000): Promise<void> {
    await this.sink.flush();
    const sends = Promise.allSettled([...this.#sends]);
    await Promise.race([sends, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    await this.#chain.catch(() => {});
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    await this.flush();
  }
}

function stripCreated<T extends { created: boolean }>(r: T): Omit<T, 'created'> {
  const { created: _created, ...rest } = r;
  return rest;
}
