// The slice's store: the one place that writes the schema. Every write that clients must hear
// about goes through `write()`, which serialises those transactions (in this process by a promise
// chain, across processes by an advisory lock held to commit), inserts the events in the same
// transaction and publishes them on the bus after commit. Ids of the events table therefore become
// visible in increasing order: a reader resuming after id N never misses a later commit. Writes
// without events (notes, new labels and stages) take the same path, so there is one way to write.
// Sending is the outbox's (outbox.ts); what WhatsApp reports arrives through the sink (sink.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { Logger } from '../../lib/logger.ts';
import type { ExtractedContact, WaStatus } from '../wa/types.ts';
import { bumpChatsFromMessages, countUnread, ensureChats, getChatsByIds, upsertChats } from './chats.ts';
import { getContactsByIds, upsertContacts } from './contacts.ts';
import { EventBus, insertEvents, pruneEvents, type PendingEvent, type SliceDb } from './events.ts';
import { pruneIdempotencyKeys } from './idempotency.ts';
import { adoptPendingMessages, lastMessageAt, upsertMessages, type MessageInput } from './messages.ts';
import { StoreSink, type IngestBatch, type SinkTarget } from './sink.ts';
import { BlobStore } from '../media/blob-store.ts';
import { MB, type MediaLimits } from '../media/limits.ts';
import { MediaStore } from '../media/media-store.ts';
import { Thumbnails } from '../media/thumbs.ts';
import { TeamState, assignRoundRobin } from './team.ts';

/** Second key of the advisory lock that serialises event-writing transactions of one schema. */
const EVENT_LOCK_NAMESPACE = 0x5145_5654; // "QEVT"

interface SliceStoreOptions {
  /** The schema (slice_N) the db is scoped to; keys the advisory lock. */
  schema: string;
  sliceId: number;
  log: Logger;
  batchMs?: number;
  batchRows?: number;
  retentionDays?: number;
  /** The media store's folder and limits; none: a fresh folder under the system's temp dir (tests, tools). */
  media?: { dir: string } & Partial<MediaLimits>;
}

const DEFAULT_LIMITS: MediaLimits = { quotaBytes: 2048 * MB, maxPhotoBytes: 16 * MB, maxDocumentBytes: 100 * MB };

export class SliceStore implements SinkTarget {
  readonly db: SliceDb;
  readonly bus = new EventBus();
  readonly sink: StoreSink;
  readonly log: Logger;
  readonly options: Required<Omit<SliceStoreOptions, 'log' | 'media'>>;
  readonly media: MediaStore;
  readonly thumbnails: Thumbnails;
  readonly team = new TeamState();
  /** Each assigned chat's assignee, kept from chat.updated as published (the event streams' filter reads it). */
  readonly assignees = new Map<string, string>();
  #chain: Promise<unknown> = Promise.resolve();
  readonly #chatIds = new Map<string, string>();
  /** The outbox's answer to: may a pending row be waiting for WhatsApp's copy of it? */
  readonly #pendingSends = new Set<() => boolean>();
  #status: WaStatus = { state: 'STARTING', qr: null, since: new Date().toISOString(), detail: null, cause: null, lastLogout: null };
  #lastMessageAt: string | null = null;
  #pruneTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #ownMediaDir: string | null = null;

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
    // A folder of its own when none is given, removed again on close.
    if (!options.media) this.#ownMediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-media-'));
    const blobs = new BlobStore(options.media?.dir ?? this.#ownMediaDir!);
    this.media = new MediaStore(this, blobs, { ...DEFAULT_LIMITS, ...withoutUndefined(options.media ?? {}) }, this.log);
    this.thumbnails = new Thumbnails(blobs);
    this.sink = new StoreSink(this, this.media, { batchMs: this.options.batchMs, batchRows: this.options.batchRows });
    // Subscribed before any stream, so a stream's filter sees the assignment its event brings.
    this.bus.subscribe((e) => {
      if (e.type !== 'chat.updated') return;
      const chat = e.data as { id: number; assignee?: { memberId: string } | null };
      if (chat.assignee) this.assignees.set(String(chat.id), chat.assignee.memberId);
      else this.assignees.delete(String(chat.id));
    });
  }

  /** The chat's assignee as last committed; null: unassigned. */
  assigneeOf(chatId: string | number): string | null {
    return this.assignees.get(String(chatId)) ?? null;
  }

  /** Reads what a restart needs (the last message time) and starts pruning old events. */
  async open(): Promise<void> {
    await this.media.open();
    await this.team.load(this.db);
    for (const r of await this.db.selectFrom('chats').select(['id', 'assignee_member_id']).where('assignee_member_id', 'is not', null).execute()) {
      this.assignees.set(String(r.id), r.assignee_member_id!);
    }
    this.#lastMessageAt = await lastMessageAt(this.db);
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
    if (prev.state !== status.state || prev.detail !== status.detail || prev.cause !== status.cause || prev.lastLogout?.at !== status.lastLogout?.at) {
      events.push({ type: 'wa.state', data: { state: status.state, since: status.since, detail: status.detail, cause: status.cause, lastLogout: status.lastLogout } });
    }
    if (status.qr && status.qr !== prev.qr) events.push({ type: 'wa.qr', data: { qr: status.qr, since: status.since } });
    if (events.length === 0) return;
    await this.write(async () => ({ result: undefined, events }));
  }

  /**
   * Adoption (messages.ts) costs a query per outgoing message reported, so ingest runs it only
   * while `pending()` says a pending row may exist.
   */
  trackPendingSends(pending: () => boolean): void {
    this.#pendingSends.add(pending);
  }

  /** One batch of chats, contacts and messages in one transaction (see sink.ts). */
  async ingest(batch: IngestBatch): Promise<void> {
    if (batch.chats.length + batch.contacts.length + batch.messages.length === 0) return;
    const learned = new Map<string, string>();
    let newest = null as string | null;
    await this.write(async (trx) => {
      const events: PendingEvent[] = [];
      const changedChats = new Set<string>();
      const changedContacts = new Set<string>();
      /** Chats created by this batch: their unread count is the page's badge, not counted here. */
      const firstSeen = new Set<string>();
      /** Chats given to a member by round-robin in this batch (chat.updated says `changed: ['assignee', …]`). */
      const assignedNow = new Set<string>();

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
        const upserted = await upsertChats(trx, batch.chats, links);
        for (const id of upserted.changed) changedChats.add(id);
        for (const id of upserted.created) firstSeen.add(id);
      }

      if (batch.messages.length > 0) {
        const unknown = batch.messages.map((m) => m.chatWaId).filter((w) => !this.#chatIds.has(w) && !learned.has(w));
        if (unknown.length > 0) {
          const ensured = await ensureChats(trx, unknown);
          for (const [w, id] of ensured.ids) learned.set(w, id);
          for (const id of ensured.created) {
            changedChats.add(id);
            firstSeen.add(id);
          }
        }
        const input: MessageInput[] = batch.messages.map((m) => ({ ...m, chatId: (this.#chatIds.get(m.chatWaId) ?? learned.get(m.chatWaId))! }));
        if ([...this.#pendingSends].some((p) => p())) await adoptPendingMessages(trx, input.filter((m) => m.direction === 'out'));
        const rows = await upsertMessages(trx, input);
        const latest = new Map<string, { chatId: string; sentAt: string; body: string; direction: 'in' | 'out' }>();
        const incoming: { chatId: string; sentAt: string }[] = [];
        /** Chats a new message came to: newer than anything the store held (history backfilled is older). */
        const arrivedIn = new Set<string>();
        const before = this.#lastMessageAt;
        for (const r of rows) {
          events.push({ type: r.created ? 'message.created' : 'message.updated', data: stripCreated(r) });
          // A system notice (joined, left, subject changed) is no one's message: it neither counts
          // as unread nor becomes the chat's preview or moves it up the list.
          if (!r.created || r.kind === 'system') continue;
          const key = String(r.chatId);
          if (r.direction === 'in' && !firstSeen.has(key)) incoming.push({ chatId: key, sentAt: r.sentAt });
          // The page gives a message's time to the minute: one in the same minute as the newest
          // stored is new too (the initial sync's older history stays unassigned).
          if (r.direction === 'in' && before !== null && r.sentAt >= before) arrivedIn.add(key);
          const cur = latest.get(key);
          if (!cur || cur.sentAt < r.sentAt) latest.set(key, { chatId: key, sentAt: r.sentAt, body: r.body, direction: r.direction });
          if (!newest || newest < r.sentAt) newest = r.sentAt;
        }
        for (const id of await countUnread(trx, incoming)) changedChats.add(id);
        for (const id of await bumpChatsFromMessages(trx, [...latest.values()])) changedChats.add(id);
        if (this.team.settings.roundRobin) {
          for (const id of await assignRoundRobin(trx, [...arrivedIn])) {
            changedChats.add(id);
            assignedNow.add(id);
          }
        }
      }

      // Assigned on arrival: the message moved the chat too. Other chats say nothing of what changed.
      for (const chat of await getChatsByIds(trx, [...changedChats])) {
        events.push({ type: 'chat.updated', data: assignedNow.has(String(chat.id)) ? { ...chat, changed: ['assignee', 'lastMessage'] } : chat });
      }
      for (const contact of await getContactsByIds(trx, [...changedContacts])) events.push({ type: 'contact.updated', data: contact });
      return { result: undefined, events };
    });
    // Only after commit: a rolled-back transaction's chat ids must not be remembered.
    for (const [w, id] of learned) this.#chatIds.set(w, id);
    if (newest && (!this.#lastMessageAt || this.#lastMessageAt < newest)) this.#lastMessageAt = newest;
  }

  // ---- CRM writes ---------------------------------------------------------------------------------------

  /**
   * Run a change the CRM makes; chat.updated and contact.updated for the chats and contacts it
   * names are published after commit (none for a change clients do not see, such as a note).
   */
  change<T>(fn: (trx: SliceDb) => Promise<{ result: T; chatIds?: string[]; contactIds?: string[]; chatChanged?: string[] }>): Promise<T> {
    return this.write(async (trx) => {
      const out = await fn(trx);
      const events: PendingEvent[] = [];
      // `changed` (what of the chats changed) when the change says: webhooks tell an assignment apart.
      for (const c of await getChatsByIds(trx, out.chatIds ?? [])) events.push({ type: 'chat.updated', data: out.chatChanged ? { ...c, changed: out.chatChanged } : c });
      for (const c of await getContactsByIds(trx, out.contactIds ?? [])) events.push({ type: 'contact.updated', data: c });
      return { result: out.result, events };
    });
  }

  async prune(): Promise<number> {
    const cutoff = new Date(Date.now() - this.options.retentionDays * 86_400_000);
    const n = await pruneEvents(this.db, cutoff);
    if (n > 0) this.log.info({ deleted: n }, 'pruned old events');
    const keys = await pruneIdempotencyKeys(this.db);
    if (keys > 0) this.log.info({ deleted: keys }, 'pruned expired idempotency keys');
    return n;
  }

  /** Write out what the sink has batched and wait for the writes already queued. */
  async flush(): Promise<void> {
    await this.sink.flush();
    await this.#chain.catch(() => {});
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    await this.flush();
    if (this.#ownMediaDir) fs.rmSync(this.#ownMediaDir, { recursive: true, force: true });
  }
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function stripCreated<T extends { created: boolean }>(r: T): Omit<T, 'created'> {
  const { created: _created, ...rest } = r;
  return rest;
}
