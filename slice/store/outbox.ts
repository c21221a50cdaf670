// Outgoing messages, between the store and the WhatsApp session: a send writes a pending row
// (ack 0, a temporary id) and answers with it at once; the session's send runs in the background
// and the real id and ack 1 replace the pending ones on success, ack -1 marks a failure. Every
// write goes through the store's serialised write, so each is announced like any other change.
// A send with an Idempotency-Key records its answer in the transaction that queues it (idempotency.ts).
import crypto from 'node:crypto';
import type { Logger } from '../../lib/logger.ts';
import { AppError } from '../../lib/errors.ts';
import type { OutgoingFile, WaSession } from '../wa/types.ts';
import { bumpChatsFromMessages, getChatsByIds } from './chats.ts';
import type { PendingEvent, SliceDb } from './events.ts';
import { IdempotencyKeys, recordAnswer, type IdempotentRequest } from './idempotency.ts';
import { insertMediaRow } from './media.ts';
import { PENDING_PREFIX, failPendingMessage, getMessage, insertPendingMessage, resolvePendingMessage } from './messages.ts';
import type { MemberRef, MessageOut } from './shapes.ts';
import type { SliceStore } from './store.ts';

/** A file an upload wrote to the media store's tmp/, hashed and measured on the way. */
export interface UploadedFile {
  tempPath: string;
  sha256: string;
  size: number;
  kind: OutgoingFile['kind'];
  mimeType: string;
  fileName: string;
}

/**
 * ms a pending row left by a previous run is given after READY for WhatsApp's copy of it to show
 * (the observer reads the open chats at once; a send that reached the phone is back within it).
 */
export const LEFTOVER_GRACE_MS = 20_000;

export class Outbox {
  readonly #store: SliceStore;
  readonly #session: Pick<WaSession, 'sendMessage' | 'sendMedia'>;
  readonly #log: Logger;
  /** Sends in flight, plus pending rows a previous run left: while any may exist, ingest adopts. */
  #pending = 0;
  readonly #sends = new Set<Promise<void>>();
  /** The Idempotency-Keys of sends: claimed by the routes, recorded here with the pending row. */
  readonly keys: IdempotencyKeys;

  constructor(store: SliceStore, session: Pick<WaSession, 'sendMessage' | 'sendMedia'>, log: Logger) {
    this.#store = store;
    this.#session = session;
    this.#log = log;
    this.keys = new IdempotencyKeys(store.db);
    store.trackPendingSends(() => this.#pending > 0);
  }

  /**
   * The pending rows a previous run left (the process died with their sends in flight): if a send
   * reached WhatsApp, its copy comes back through the observer once the session is READY and is
   * adopted; one still pending `leftoverGraceMs` after READY never left, and is marked failed
   * (ack -1) so the sender sees it and can send again: never left pending forever, never sent
   * twice (nothing is retried behind the sender's back).
   */
  async open(leftoverGraceMs = LEFTOVER_GRACE_MS): Promise<void> {
    const rows = await this.#store.db.selectFrom('messages').select('id').where('wa_id', 'like', `${PENDING_PREFIX}%`).execute();
    // Counted for good: a late copy of a failed one is still adopted (its row takes the real id and ack).
    this.#pending += rows.length;
    if (rows.length === 0) return;
    const ids = rows.map((r) => String(r.id));
    this.#log.info({ count: ids.length }, 'pending sends left by the previous run: failed unless WhatsApp shows them once READY');
    let readySince: number | null = null;
    const timer = setInterval(() => {
      if (this.#store.status.state !== 'READY') {
        readySince = null;
        return;
      }
      readySince ??= Date.now();
      if (Date.now() - readySince < leftoverGraceMs) return;
      clearInterval(timer);
      this.#leftovers = this.#failLeftovers(ids).catch((err) => this.#log.error({ err }, 'could not settle the sends left by the previous run'));
    }, 500);
    timer.unref();
    this.#stopLeftovers = () => clearInterval(timer);
  }

  #leftovers: Promise<void> = Promise.resolve();
  #stopLeftovers: () => void = () => {};

  async #failLeftovers(ids: string[]): Promise<void> {
    await this.#store.write(async (trx) => {
      const events: PendingEvent[] = [];
      for (const id of ids) {
        const m = await failPendingMessage(trx, id);
        if (m) events.push({ type: 'message.updated', data: { ...m, changed: ['ack'] } });
      }
      if (events.length) this.#log.warn({ count: events.length }, 'sends lost with the previous run marked failed');
      return { result: undefined, events };
    });
  }

  /** `sentBy`: the member who sends it (null: the system); `idempotent`: its claimed key, whose answer (202, the pending message) is recorded with it. */
  async send(chat: { id: string; wa_id: string }, body: string, sentBy: MemberRef | null = null, idempotent?: IdempotentRequest): Promise<MessageOut> {
    const message = await this.#insertPending(chat, body, null, sentBy, idempotent, async () => {});
    this.#start(String(message.id), () => this.#session.sendMessage(chat.wa_id, body));
    return message;
  }

  /**
   * A file from the media store's tmp/ (hashed and size-checked on the way in) with its caption:
   * kept in the store (quota permitting: else MEDIA_QUOTA_EXCEEDED and nothing is kept), a
   * pending media message answered at once, the page's send in the background.
   */
  async sendMedia(chat: { id: string; wa_id: string }, file: UploadedFile, caption: string, sentBy: MemberRef | null = null, idempotent?: IdempotentRequest): Promise<MessageOut> {
    const media = this.#store.media;
    const message = await this.#insertPending(chat, caption, file.kind, sentBy, idempotent, async (trx, messageId) => {
      const stored = await media.storeFile(trx, file.tempPath, file.sha256, file.size);
      if (!stored.ok) throw new AppError(stored.code, `${stored.message.replace(/^not downloaded: /, 'not sent: ')}`);
      await insertMediaRow(trx, { message_id: messageId, kind: file.kind, mime_type: file.mimeType, size: file.size, file_name: file.fileName, sha256: file.sha256, state: 'stored' });
    });
    const outgoing: OutgoingFile = {
      path: media.blobs.pathOf(file.sha256),
      kind: file.kind,
      mimeType: file.mimeType,
      fileName: file.fileName,
      size: file.size,
      caption,
    };
    this.#start(String(message.id), () => this.#session.sendMedia(chat.wa_id, outgoing));
    return message;
  }

  async #insertPending(
    chat: { id: string; wa_id: string },
    body: string,
    mediaKind: string | null,
    sentBy: MemberRef | null,
    idempotent: IdempotentRequest | undefined,
    attach: (trx: SliceDb, messageId: string) => Promise<void>,
  ): Promise<MessageOut> {
    const pendingWaId = `${PENDING_PREFIX}${crypto.randomUUID()}`;
    return this.#store.write(async (trx) => {
      const id = await insertPendingMessage(trx, chat.id, body, pendingWaId, mediaKind, sentBy);
      await attach(trx, id);
      const m = (await getMessage(trx, id))!;
      if (idempotent) await recordAnswer(trx, idempotent, { status: 202, body: m });
      const bumped = await bumpChatsFromMessages(trx, [{ chatId: chat.id, sentAt: m.sentAt, body: m.body, direction: 'out' }]);
      const events: PendingEvent[] = [{ type: 'message.created', data: m }];
      for (const c of await getChatsByIds(trx, bumped)) events.push({ type: 'chat.updated', data: c });
      return { result: m, events };
    });
  }

  #start(id: string, send: () => Promise<{ waId: string; sentAt: string }>): void {
    this.#pending++;
    const task = this.#deliver(id, send).finally(() => {
      this.#pending--;
    });
    this.#sends.add(task);
    void task.finally(() => this.#sends.delete(task));
  }

  async #deliver(id: string, send: () => Promise<{ waId: string; sentAt: string }>): Promise<void> {
    try {
      const sent = await send();
      await this.#store.write(async (trx) => {
        const r = await resolvePendingMessage(trx, id, sent.waId);
        return { result: undefined, events: r.message ? [{ type: 'message.updated', data: { ...r.message, changed: ['ack'] } }] : [] };
      });
    } catch (err) {
      this.#log.warn({ err, messageId: id }, 'sending failed');
      await this.#store
        .write(async (trx) => {
          const m = await failPendingMessage(trx, id);
          return { result: undefined, events: m ? [{ type: 'message.updated', data: { ...m, changed: ['ack'] } }] : [] };
        })
        .catch((e) => this.#log.error({ err: e }, 'could not mark a message failed'));
    }
  }

  /** Wait for sends in flight, at most `timeoutMs`. */
  async flush(timeoutMs = 5_000): Promise<void> {
    this.#stopLeftovers();
    const sends = Promise.allSettled([...this.#sends, this.#leftovers]);
    await Promise.race([sends, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}
