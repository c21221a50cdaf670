// The WhatsApp side's timings and limits, declared once. The simulator's page renders at once, so
// sim mode waits less for the list and the history than WhatsApp Web needs; tests and benchmarks
// override single values.

export interface WaTuning {
  /** ms with no older rows loading before a conversation's backfill counts as complete. */
  backfillIdleMs: number;
  /** ms the virtualised chat list is given to render after each scroll or click. */
  settleMs: number;
  /** ms the MutationObserver gathers changes before it reports them. */
  observerBatchMs: number;
  /** ms for a clicked chat to show in the conversation header. */
  openChatTimeoutMs: number;
  /** ms for a sent message's bubble to appear. */
  sendTimeoutMs: number;
  /** ms for a sent bubble's clock to turn into a tick before it is reported pending. */
  sendAckTimeoutMs: number;
  /**
   * ms after the slice's own change to a chat (pin, mute, archive, new chat) during which the
   * observer's row reports cannot change its flags: a report the page queued before the change
   * would otherwise take it back.
   */
  actionSettleMs: number;
  /** ms between the watchdog's checks of the page (alive, memory). */
  watchdogIntervalMs: number;
  /** Browser tree memory (PSS) above which the watchdog restarts the browser. */
  memoryCeilingBytes: number;
  /** V8 heap cap of the page, MB. */
  jsHeapMb: number;
  /** ms a shown row is given to turn its thumbnail into the file (WhatsApp Web decrypts it then). */
  mediaWaitMs: number;
  /** ms between the passes that go back for files the store still lacks (each file at most
   * mediaSweepTries times per session: a pass opens the chat, as reading it would). */
  mediaSweepMs: number;
  mediaSweepTries: number;
  /** ms after `authenticated` for `ready` before the browser starts again (login kept). */
  readyTimeoutMs: number;
  /** ms from the browser's start for WhatsApp Web to show a QR or take the login (else: timeout). */
  loadTimeoutMs: number;
  /** Chromium --host-resolver-rules (tests make WhatsApp Web unreachable with it); null: none. */
  hostResolverRules: string | null;
  /** Reconnect delay: doubles from initialMs per failed attempt, up to maxMs. */
  backoff: { initialMs: number; maxMs: number };
}

export const BASE_TUNING: WaTuning = {
  backfillIdleMs: 2000,
  settleMs: 120,
  observerBatchMs: 30,
  openChatTimeoutMs: 10_000,
  sendTimeoutMs: 15_000,
  sendAckTimeoutMs: 10_000,
  actionSettleMs: 2_000,
  watchdogIntervalMs: 15_000,
  memoryCeilingBytes: 1024 * 1024 * 1024,
  jsHeapMb: 256,
  mediaWaitMs: 10_000,
  mediaSweepMs: 30_000,
  mediaSweepTries: 3,
  readyTimeoutMs: 120_000,
  loadTimeoutMs: 90_000,
  hostResolverRules: null,
  backoff: { initialMs: 1000, maxMs: 60_000 },
};

const SIM_TUNING: Partial<WaTuning> = { backfillIdleMs: 300, settleMs: 30, mediaWaitMs: 5_000, mediaSweepMs: 3_000 };

/** The tuning of a mode, with `overrides` on top. */
export function waTuning(mode: 'wwebjs' | 'sim', overrides: Partial<WaTuning> = {}): WaTuning {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return { ...BASE_TUNING, ...(mode === 'sim' ? SIM_TUNING : {}), ...given };
}
