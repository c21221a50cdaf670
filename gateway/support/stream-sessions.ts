// Which open streams belong to which login session, so that a session's end ends them: at once for
// what this process does or knows (logout, revocation, the cookie's expiry), and at the next
// check() for what another gateway process did (the session row gone or expired).

/** setTimeout's longest delay; a session may last a year */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SessionBound {
  readonly sessionId: string;
  /** ends the stream; it calls remove() on its way out */
  end(): void;
}

interface Entry<T> {
  streams: Set<T>;
  timer: NodeJS.Timeout | null;
}

export class StreamSessions<T extends SessionBound> {
  private readonly bySession = new Map<string, Entry<T>>();
  private checking = false;

  get size(): number {
    return this.bySession.size;
  }

  /** expiresAt: when the session ends (its cookie's expiry), ms since the epoch; Infinity for never */
  add(stream: T, expiresAt: number): void {
    let entry = this.bySession.get(stream.sessionId);
    if (!entry) {
      entry = { streams: new Set(), timer: null };
      this.bySession.set(stream.sessionId, entry);
      this.armExpiry(stream.sessionId, entry, expiresAt);
    }
    entry.streams.add(stream);
  }

  remove(stream: T): void {
    const entry = this.bySession.get(stream.sessionId);
    if (!entry || !entry.streams.delete(stream)) return;
    if (entry.streams.size === 0) {
      if (entry.timer) clearTimeout(entry.timer);
      this.bySession.delete(stream.sessionId);
    }
  }

  endSession(sessionId: string): void {
    const entry = this.bySession.get(sessionId);
    if (!entry) return;
    for (const stream of [...entry.streams]) stream.end();
  }

  /** Ends the streams of every session live() does not confirm. Overlapping calls do nothing. */
  async check(live: (sessionIds: string[]) => Promise<Set<string>>): Promise<void> {
    if (this.checking || this.bySession.size === 0) return;
    this.checking = true;
    try {
      const ids = [...this.bySession.keys()];
      const alive = await live(ids);
      for (const id of ids) if (!alive.has(id)) this.endSession(id);
    } finally {
      this.checking = false;
    }
  }

  close(): void {
    for (const entry of this.bySession.values()) if (entry.timer) clearTimeout(entry.timer);
    this.bySession.clear();
  }

  private armExpiry(sessionId: string, entry: Entry<T>, expiresAt: number): void {
    if (!Number.isFinite(expiresAt)) return;
    const wait = expiresAt - Date.now();
    if (wait <= 0) {
      queueMicrotask(() => this.endSession(sessionId));
      return;
    }
    entry.timer = setTimeout(() => {
      entry.timer = null;
      if (Date.now() >= expiresAt) this.endSession(sessionId);
      else this.armExpiry(sessionId, entry, expiresAt);
    }, Math.min(wait, MAX_TIMER_MS));
    entry.timer.unref();
  }
}
