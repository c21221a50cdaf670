// The WaSink the WhatsApp side writes into. Reports are collected for at most `batchMs` or
// `batchRows` rows (or for as long as the previous transaction runs) and written in one
// transaction; each caller's promise settles when its rows are committed (back-pressure). A batch
// that fails is retried call by call, so one bad report cannot take the others down with it. A
// batch that fails because the database is unreachable (down, restarting, out of disk) is not the
// reports' fault: it waits and is written again once the database answers, so nothing WhatsApp
// reported during an outage is dropped (the callers simply wait longer).
import type { Logger } from '../../lib/logger.ts';
import { pgUnavailable } from '../../sql/errors.ts';
import type { ExtractedChat, ExtractedContact, ExtractedMessage, MediaIntake, WaSink, WaStatus } from '../wa/types.ts';
import type { SliceDb } from './events.ts';
import { loadSyncCursor, saveSyncCursor } from './sync-state.ts';

/** One transaction's worth of what WhatsApp reported. */
export interface IngestBatch {
  chats: ExtractedChat[];
  contacts: ExtractedContact[];
  messages: ExtractedMessage[];
}

/** What the sink writes through (the store): one batch per call, in one transaction. */
export interface SinkTarget {
  readonly db: SliceDb;
  readonly log: Logger;
  ingest(batch: IngestBatch): Promise<void>;
  setStatus(status: WaStatus): Promise<void>;
}

interface Entry extends IngestBatch {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** How an ingest waits for an unreachable database: from the first delay, doubling up to the last. */
const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 2_000;

function rowsOf(e: IngestBatch): number {
  return e.chats.length + e.contacts.length + e.messages.length;
}

export class StoreSink implements WaSink {
  readonly #store: SinkTarget;
  readonly #batchMs: number;
  readonly #batchRows: number;
  #queue: Entry[] = [];
  #queuedRows = 0;
  #timer: NodeJS.Timeout | null = null;
  /** The transaction being written, if any: at most one at a time. */
  #current: Promise<void> | null = null;

  /** The media store's intake: downloads of reported messages' files. */
  readonly media: MediaIntake;

  constructor(store: SinkTarget, media: MediaIntake, options: { batchMs: number; batchRows: number }) {
    this.#store = store;
    this.media = media;
    this.#batchMs = options.batchMs;
    this.#batchRows = options.batchRows;
  }

  status(status: WaStatus): Promise<void> {
    return this.#store.setStatus(status);
  }

  chats(chats: ExtractedChat[]): Promise<void> {
    return this.#enqueue({ chats, contacts: [], messages: [] });
  }

  messages(messages: ExtractedMessage[]): Promise<void> {
    return this.#enqueue({ chats: [], contacts: [], messages });
  }

  contacts(contacts: ExtractedContact[]): Promise<void> {
    return this.#enqueue({ chats: [], contacts, messages: [] });
  }

  loadSyncCursor(scope: string): Promise<Record<string, unknown> | null> {
    return loadSyncCursor(this.#store.db, scope);
  }

  saveSyncCursor(scope: string, cursor: Record<string, unknown>, complete: boolean): Promise<void> {
    return saveSyncCursor(this.#store.db, scope, cursor, complete);
  }

  /** Write everything queued so far; resolves when it is committed (or has failed). */
  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    while (this.#current || this.#queue.length > 0) {
      if (!this.#current) this.#kick();
      await this.#current;
    }
  }

  #enqueue(part: IngestBatch): Promise<void> {
    if (rowsOf(part) === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ...part, resolve, reject });
      this.#queuedRows += rowsOf(part);
      // While a transaction is running, reports gather and go in the next one as soon as it ends
      // (group commit); when idle, wait up to batchMs for company unless a batch is already full.
      if (this.#current) return;
      if (this.#queuedRows >= this.#batchRows) this.#kick();
      else if (!this.#timer) {
        this.#timer = setTimeout(() => {
          this.#timer = null;
          this.#kick();
        }, this.#batchMs);
      }
    });
  }

  /** Start one transaction with the queued entries (up to about batchRows rows). */
  #kick(): void {
    if (this.#current || this.#queue.length === 0) return;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const entries: Entry[] = [];
    let rows = 0;
    while (this.#queue.length > 0 && (entries.length === 0 || rows + rowsOf(this.#queue[0]!) <= this.#batchRows)) {
      const e = this.#queue.shift()!;
      rows += rowsOf(e);
      entries.push(e);
    }
    this.#queuedRows -= rows;
    this.#current = this.#write(entries).finally(() => {
      this.#current = null;
      this.#kick();
    });
  }

  async #write(entries: Entry[]): Promise<void> {
    const merged: IngestBatch = {
      chats: entries.flatMap((e) => e.chats),
      contacts: entries.flatMap((e) => e.contacts),
      messages: entries.flatMap((e) => e.messages),
    };
    try {
      await this.#ingestThroughOutages(merged);
      for (const e of entries) e.resolve();
      return;
    } catch (err) {
      if (entries.length === 1) {
        this.#store.log.warn({ err }, 'a WhatsApp report could not be stored');
        entries[0]!.reject(err);
        return;
      }
    }
    for (const e of entries) {
      try {
        await this.#ingestThroughOutages(e);
        e.resolve();
      } catch (err) {
        this.#store.log.warn({ err }, 'a WhatsApp report could not be stored');
        e.reject(err);
      }
    }
  }

  /** One ingest, tried again for as long as the database is unreachable; any other failure is thrown. */
  async #ingestThroughOutages(batch: IngestBatch): Promise<void> {
    let delay = RETRY_FIRST_MS;
    let since: number | null = null;
    for (;;) {
      try {
        await this.#store.ingest(batch);
        if (since !== null) this.#store.log.info({ rows: rowsOf(batch), ms: Date.now() - since }, 'the database is back: the reports that waited for it are stored');
        return;
      } catch (err) {
        const unavailable = pgUnavailable(err);
        if (!unavailable) throw err;
        if (since === null) {
          since = Date.now();
          this.#store.log.warn({ code: unavailable.code, rows: rowsOf(batch) }, 'the database is unavailable: WhatsApp reports wait for it');
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }
}
