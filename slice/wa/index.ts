// The WhatsApp side of a slice, as the rest of the slice sees it: one factory.
import type { Logger } from 'pino';
import type { SimControl, WaCause, WaSession, WaSink } from './types.ts';
import { DomWaSession } from './session.ts';
import { waTuning, type WaTuning } from './tuning.ts';
import { SimPhone } from '../sim/phone.ts';

interface WaSessionOptions {
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
  /** Values that differ from the mode's tuning (tests, benchmarks). */
  tuning?: Partial<WaTuning>;
}

export type WaSessionHandle = WaSession & {
  sim?: SimControl;
  /** Resolves when the current READY page has been read completely (initial sync and backfill). */
  synced(): Promise<void>;
  /** Starts the browser again keeping the login (an error found outside the session). */
  recover(cause: WaCause, detail: string): void;
};

export function createWaSession(options: WaSessionOptions): WaSessionHandle {
  // In sim mode the simulated phone is the page's other end: the session hands it each page.
  const sim =
    options.mode === 'sim'
      ? new SimPhone({ authDir: options.authDir, scenarioFile: options.simScenario, scanAfterMs: options.simScanAfterMs, log: options.log.child({ part: 'sim-phone' }) })
      : undefined;
  return new DomWaSession({
    authDir: options.authDir,
    chromiumPath: options.chromiumPath,
    chromiumSandbox: options.chromiumSandbox ?? false,
    sink: options.sink,
    log: options.log,
    tuning: waTuning(options.mode, options.tuning),
    sim,
  });
}

