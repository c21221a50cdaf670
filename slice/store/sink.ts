// The WaSink the WhatsApp side writes into. Reports are collected for at most `batchMs` or
// `batchRows` rows and written in one transaction; each caller's promise settles when its rows
// are committed (back-pressure). A batch that fails is retried call by call, so one bad report
// cannot take the others down with it.
import type { ExtractedChat, ExtractedContact, ExtractedMessage, WaSink, WaStatus } from '../wa/types.ts';
import type { SliceStore } from './store.ts';
import { loadSyncCursor, saveSyncCursor } from './sync-state.ts';

interface Entry {
  chats: ExtractedChat[];
  contacts: ExtractedContact[];
  messages: ExtractedMessage[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

function rowsOf(e: Pick<Entry, 'chats' | 'contacts' | 'messages'>): number {
  return e.chats.length + e.contacts.length + e.messages.length;
}

export class StoreSink implements WaSink {
  readonly #store: SliceStore;
  readonly #batchMs: number;
  readonly #batchRows: number;
  #queue: Entry[] = [];
  #queuedRows = 0;
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();

  constructor(store: SliceStore, options: { batchMs: number; batchRows: number }) {
    this.#store = store;
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

  /** Write whatever is queued now. */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const entries = this.#queue;
    this.#queue = [];
    this.#queuedRows = 0;
    if (entries.length > 0) {
      this.#flushing = this.#flushing.then(() => this.#write(entries));
    }
    return this.#flushing;
  }

  #enqueue(part: Pick<Entry, 'chats' | 'contacts' | 'messages'>): Promise<void> {
    if (rowsOf(part) === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ...part, resolve, reject });
      this.#queuedRows += rowsOf(part);
      if (this.#queuedRows >= this.#batchRows) {
        void this.flush();
      } else if (!this.#timer) {
        this.#timer = setTimeout(() => {
          this.#timer = null;
          void this.flush();
        }, this.#batchMs);
      }
    });
  }

  async #write(entries: Entry[]): Promise<void> {
    const merged = {
      chats: entries.flatMap((e) => e.chats),
      contacts: entries.flatMap((e) => e.contacts),
      messages: entries.flatMap((e) => e.messages),
    };
    try {
      await this.#store.ingest(merged);
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
        await this.#store.ingest(e);
        e.resolve();
      } catch (err) {
        this.#store.log.warn({ err }, 'a WhatsApp report could not be stored');
        e.reject(err);
      }
    }
  }
}
