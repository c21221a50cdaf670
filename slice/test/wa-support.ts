// Shared by the WhatsApp-side tests: the real Chromium binary (tests FAIL without it), a sink that
// records what the WhatsApp side reports, and a quiet logger.
import fs from 'node:fs';
import pino from 'pino';
import type { ExtractedChat, ExtractedContact, ExtractedMessage, MediaIntake, WaSink, WaStatus } from '../wa/types.ts';
import { noMediaIntake } from '../wa/no-media-intake.ts';
import { createWaSession, type WaSessionHandle } from '../wa/index.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH && !process.env.CHROMIUM_PATH.startsWith('/usr/bin/') ? process.env.CHROMIUM_PATH : '/usr/lib/chromium/chromium';

export function requireChromium(t: { fail(msg: string): void; bailout?(msg: string): void }): void {
  if (!fs.existsSync(CHROMIUM)) {
    const msg = `Chromium is missing at ${CHROMIUM}: install it (apt-get install -y chromium); these tests need a real browser`;
    t.fail(msg);
    throw new Error(msg);
  }
}

export const quietLog = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The WhatsApp side's collaborator, recording every call (the unit under test is the WhatsApp side). */
export class RecordingSink implements WaSink {
  statuses: WaStatus[] = [];
  chatsById = new Map<string, ExtractedChat>();
  messagesById = new Map<string, ExtractedMessage>();
  messageCalls: ExtractedMessage[][] = [];
  contactsById = new Map<string, ExtractedContact>();
  cursors = new Map<string, { cursor: Record<string, unknown>; complete: boolean }>();
  private waiters: Array<() => void> = [];

  status(s: WaStatus): void {
    this.statuses.push(s);
    this.wake();
  }
  async chats(c: ExtractedChat[]): Promise<void> {
    for (const x of c) this.chatsById.set(x.waId, x);
    this.wake();
  }
  async messages(m: ExtractedMessage[]): Promise<void> {
    this.messageCalls.push(m);
    for (const x of m) this.messagesById.set(x.waId, { ...x });
    this.wake();
  }
  async contacts(c: ExtractedContact[]): Promise<void> {
    for (const x of c) this.contactsById.set(x.waId, x);
  }
  async loadSyncCursor(scope: string): Promise<Record<string, unknown> | null> {
    const c = this.cursors.get(scope);
    return c ? { ...c.cursor, complete: c.complete } : null;
  }
  async saveSyncCursor(scope: string, cursor: Record<string, unknown>, complete: boolean): Promise<void> {
    this.cursors.set(scope, { cursor, complete });
  }
  /** Takes no file (the media tests give the sink a store's intake of their own). */
  media: MediaIntake = noMediaIntake();
  states(): string[] {
    return this.statuses.map((s) => s.state);
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  /** Waits until pred() holds, re-checking after each sink call; rejects after timeoutMs. */
  async until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const t0 = Date.now();
    while (!pred()) {
      const left = timeoutMs - (Date.now() - t0);
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }
}

/** A session against the simulator (the test double for WhatsApp's servers) that scans at once. */
export function simSession(o: { authDir: string; scenarioFile: string; sink: RecordingSink; tuning?: Parameters<typeof createWaSession>[0]['tuning'] }): WaSessionHandle {
  return createWaSession({ mode: 'sim', authDir: o.authDir, chromiumPath: CHROMIUM, simScenario: o.scenarioFile, simScanAfterMs: 0, sink: o.sink, log: quietLog(), tuning: o.tuning });
}

/** Starts the session, lets the simulated phone scan the QR, and waits for READY. */
export async function startAndScan(session: WaSessionHandle, sink: RecordingSink): Promise<void> {
  await session.start();
  await sink.until(() => session.status().state === 'QR', 60_000, 'QR');
  await session.sim!.scan();
  await sink.until(() => session.status().state === 'READY', 60_000, 'READY');
}
