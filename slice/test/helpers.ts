// Shared set-up for the slice's tests: a PostgreSQL cluster of the file's own with slice 1
// provisioned, the store over the slice's own role, and the app built around them.
import type { Test } from 'tap';
import pino from 'pino';
import type { Kysely } from 'kysely';
import { createDb, urlForRole } from '../../sql/database.ts';
import { provisionSlice } from '../../sql/provision.ts';
import type { SliceDatabase } from '../../sql/slice/schema.ts';
import { startTestCluster, type TestCluster } from '../../test-support/pg.ts';
import { buildSliceApp } from '../app.ts';
import { SliceStore } from '../store/store.ts';
import type { SliceSession } from '../plugins/session-types.ts';
import type { ChatFlags, ExtractedChat, ExtractedMessage, ExtractedReaction, OutgoingFile, WaHealth, WaState, WaStatus } from '../wa/types.ts';
import { AppError } from '../../lib/errors.ts';

export const TOKEN = 'test-token-0123456789abcdef0123456789abcdef';
export const quietLog = pino({ level: 'silent' });

export interface SliceDbFixture {
  adminUrl: string;
  sliceUrl: string;
  /** The slice role's connection, unscoped. */
  raw: Kysely<SliceDatabase>;
  /** Scoped to schema slice_1. */
  db: Kysely<SliceDatabase>;
  admin: Kysely<any>;
  /** The cluster itself, for tests that stop and start its server. */
  cluster: TestCluster;
}

export async function sliceDb(t: Test, name: string): Promise<SliceDbFixture> {
  const cluster = await startTestCluster(name);
  t.teardown(() => cluster.stop());
  const admin = createDb<any>(cluster.adminUrl, { max: 2 });
  const provisioned = await provisionSlice(admin, 1);
  const sliceUrl = urlForRole(cluster.adminUrl, provisioned.role, provisioned.password!);
  const raw = createDb<SliceDatabase>(sliceUrl, { max: 4 });
  t.teardown(async () => {
    await raw.destroy();
    await admin.destroy();
  });
  return { adminUrl: cluster.adminUrl, sliceUrl, raw, db: raw.withSchema('slice_1'), admin, cluster };
}

export async function openStore(t: Test, fx: SliceDbFixture, options: { batchMs?: number; batchRows?: number } = {}): Promise<SliceStore> {
  const store = new SliceStore(fx.db, { schema: 'slice_1', sliceId: 1, log: quietLog, ...options });
  await store.open();
  t.teardown(() => store.close());
  return store;
}

/**
 * A stand-in for WhatsApp itself (no browser, no simulator page): it answers sends as WhatsApp
 * would, or fails them on request. The full flow with the real browser is flow-sim.test.ts.
 */
export class WhatsAppStandIn implements SliceSession {
  state: WaState = 'READY';
  sent: { chatWaId: string; body: string; waId: string }[] = [];
  failSends = false;
  /** When set, sendMessage waits for this before answering. */
  gate: Promise<void> | null = null;
  markedRead: string[] = [];
  loggedOut = false;
  missingSelectors: string[] = [];
  #n = 0;

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status(): WaStatus {
    return { state: this.state, qr: this.state === 'QR' ? 'qr-payload-1' : null, since: '2026-11-25T10:00:00.000Z', detail: null, cause: null, lastLogout: null };
  }
  async health(): Promise<WaHealth> {
    return {
      state: this.state,
      browserPid: 4242,
      browserMemoryBytes: 123_000_000,
      lastMessageSeenAt: null,
      missingSelectors: this.missingSelectors,
      selectorsVersion: 'standin-1',
      restarts: 0,
    };
  }
  async sendMessage(chatWaId: string, body: string): Promise<{ waId: string; sentAt: string }> {
    if (this.gate) await this.gate;
    if (this.failSends) throw new Error('composer not found');
    const waId = `true_${chatWaId}_3EB0${String(++this.#n).padStart(8, '0')}`;
    this.sent.push({ chatWaId, body, waId });
    return { waId, sentAt: new Date().toISOString() };
  }
  mediaSent: { chatWaId: string; file: OutgoingFile; waId: string }[] = [];
  async sendMedia(chatWaId: string, file: OutgoingFile): Promise<{ waId: string; sentAt: string }> {
    if (this.gate) await this.gate;
    if (this.failSends) throw new Error('composer not found');
    const waId = `true_${chatWaId}_3EB0${String(++this.#n).padStart(8, '0')}`;
    this.mediaSent.push({ chatWaId, file, waId });
    return { waId, sentAt: new Date().toISOString() };
  }
  reacted: { chatWaId: string; messageWaId: string; emoji: string | null }[] = [];
  async react(chatWaId: string, messageWaId: string, emoji: string | null): Promise<ExtractedReaction[]> {
    if (this.state !== 'READY') throw new AppError('WA_NOT_READY', `WhatsApp is not ready (state ${this.state})`);
    this.reacted.push({ chatWaId, messageWaId, emoji });
    return emoji ? [{ emoji, count: 1, mine: true }] : [];
  }
  async markRead(chatWaId: string): Promise<void> {
    this.markedRead.push(chatWaId);
  }
  /** Row state per chat as the stand-in's page shows it; failFlags: the menu item is not there. */
  flags = new Map<string, ChatFlags>();
  failFlags = false;
  async setChatFlags(chatWaId: string, change: Partial<ChatFlags>): Promise<ChatFlags> {
    if (this.state !== 'READY') throw new AppError('WA_NOT_READY', `WhatsApp is not ready (state ${this.state})`);
    if (this.failFlags) throw new AppError('WA_ACTION_NOT_CONFIRMED', `chat ${chatWaId}: the row's menu has no "Pin chat"; nothing was changed`);
    const next = { ...(this.flags.get(chatWaId) ?? { pinned: false, muted: false, archived: false }), ...change };
    this.flags.set(chatWaId, next);
    return next;
  }
  opened: string[] = [];
  async openChatByPhone(e164: string): Promise<ExtractedChat> {
    if (this.state !== 'READY') throw new AppError('WA_NOT_READY', `WhatsApp is not ready (state ${this.state})`);
    this.opened.push(e164);
    return { waId: `${e164.slice(1)}@c.us`, name: e164, phone: e164, isGroup: false, preview: null, lastMessageAt: null, unreadCount: 0 };
  }
  reloadedQr = 0;
  async reloadQr(): Promise<void> {
    this.reloadedQr++;
  }
  async logout(): Promise<void> {
    this.loggedOut = true;
    this.state = 'LOGGED_OUT';
  }
  async requestPairingCode(phone: string): Promise<string> {
    return `PAIR-${phone.slice(-4)}`;
  }
}

export async function buildApp(t: Test, store: SliceStore, session: SliceSession, extra: { heartbeatMs?: number; waMode?: 'wwebjs' | 'sim' } = {}) {
  const app = await buildSliceApp({ store, session, token: TOKEN, waMode: extra.waMode ?? 'wwebjs', heartbeatMs: extra.heartbeatMs ?? 15_000 });
  t.teardown(() => app.close());
  return app;
}

export const auth = { authorization: `Bearer ${TOKEN}` };

export function chat(n: number, over: Partial<ExtractedChat> = {}): ExtractedChat {
  return {
    waId: `5511900000${String(n).padStart(3, '0')}@c.us`,
    name: `Contact ${n}`,
    phone: `+55 11 90000-0${String(n).padStart(3, '0')}`,
    isGroup: false,
    preview: `hello ${n}`,
    lastMessageAt: new Date(Date.UTC(2026, 10, 20, 10, n)).toISOString(),
    unreadCount: n % 3,
    ...over,
  };
}

export function message(chatN: number, i: number, over: Partial<ExtractedMessage> = {}): ExtractedMessage {
  const c = chat(chatN);
  return {
    waId: `false_${c.waId}_3A${String(chatN).padStart(4, '0')}${String(i).padStart(8, '0')}`,
    chatWaId: c.waId,
    direction: 'in',
    author: c.name,
    body: `message ${i} of chat ${chatN}`,
    sentAt: new Date(Date.UTC(2026, 10, 20, 9, 0) + i * 60_000).toISOString(),
    ack: 0,
    mediaKind: null,
    quotedWaId: null,
    quotedBody: null,
    recalled: false,
    ...over,
  };
}
