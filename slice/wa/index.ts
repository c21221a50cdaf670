// The WhatsApp side of a slice, as the rest of the slice sees it: one factory.
import type { Logger } from 'pino';
import type { SimControl, WaSession, WaSink } from './types.ts';
import { DomWaSession } from './session.ts';
import { SimPhone } from '../sim/phone.ts';

export interface WaSessionOptions {
  mode: 'wwebjs' | 'sim';
  /** WA_AUTH_DIR: whatsapp-web.js LocalAuth dataPath (the login survives restarts). */
  authDir: string;
  /** CHROMIUM_PATH (on Debian use /usr/lib/chromium/chromium, not the /usr/bin wrapper). */
  chromiumPath: string;
  /** CHROMIUM_SANDBOX: Chromium's own sandbox on (default off: --no-sandbox). */
  chromiumSandbox?: boolean;
  /** SIM_SCENARIO: a scenario file; default: slice/sim/scenarios/default.json. */
  simScenario?: string;
  /** SIM_SCAN_AFTER_MS (0: the phone scans only when told). */
  simScanAfterMs: number;
  sink: WaSink;
  log: Logger;
  /** Optional tuning (tests, benchmarks). */
  tuning?: {
    backfillIdleMs?: number;
    settleMs?: number;
    watchdogIntervalMs?: number;
    memoryCeilingBytes?: number;
    jsHeapMb?: number;
    backoff?: { initialMs: number; maxMs: number };
  };
}

export type WaSessionHandle = WaSession & {
  sim?: SimControl;
  /** Resolves when the current READY page has been read completely (initial sync and backfill). */
  synced(): Promise<void>;
};

export function createWaSession(options: WaSessionOptions): WaSessionHandle {
  const t = options.tuning ?? {};
  const base = {
    authDir: options.authDir,
    chromiumPath: options.chromiumPath,
    chromiumSandbox: options.chromiumSandbox ?? false,
    sink: options.sink,
    log: options.log,
    watchdogIntervalMs: t.watchdogIntervalMs,
    memoryCeilingBytes: t.memoryCeilingBytes,
    jsHeapMb: t.jsHeapMb,
    backoff: t.backoff,
  };
  if (options.mode === 'wwebjs') {
    return new DomWaSession({ ...base, backfillIdleMs: t.backfillIdleMs ?? 2000, settleMs: t.settleMs ?? 120 });
  }
  const phone = new SimPhone({
    authDir: options.authDir,
    scenarioFile: options.simScenario,
    scanAfterMs: options.simScanAfterMs,
    log: options.log.child({ part: 'sim-phone' }),
  });
  const web = phone.writeWebVersion();
  const session = new DomWaSession({
    ...base,
    backfillIdleMs: t.backfillIdleMs ?? 300,
    settleMs: t.settleMs ?? 30,
    webVersion: web,
    beforeStart: () => void phone.writeWebVersion(),
    onPage: (page) => phone.attach(page),
    onQr: () => phone.onQr(),
    onReady: () => phone.onReady(),
    onDown: () => phone.detach(),
  });
  const stop = session.stop.bind(session);
  session.stop = async () => {
    await stop();
    phone.detach();
  };
  return Object.assign(session, { sim: phone as SimControl });
}

export type { SimControl, WaSession, WaSink } from './types.ts';
