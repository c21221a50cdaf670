// The WhatsApp session of one slice. whatsapp-web.js manages the browser's WhatsApp Web login only
// (QR, pairing code, authenticated, ready, disconnected, logout); everything the slice reads comes
// from the page's DOM (sync.ts). Reconnects run under a growing backoff, and a watchdog restarts
// the browser when the page hangs, crashes or grows past a memory ceiling, keeping the login
// (same WA_AUTH_DIR).
import path from 'node:path';
import type { Browser, Page, Target } from 'puppeteer-core';
import type { Logger } from 'pino';
import wweb from 'whatsapp-web.js';
import { AppError, isAppError } from '../../lib/errors.ts';
import type { WaCause, SimFault, ChatFlags, ExtractedChat, ExtractedReaction, OutgoingFile, SimControl, WaHealth, WaSession, WaSink, WaState, WaStatus } from './types.ts';
import type { WaTuning } from './tuning.ts';
import { launchBrowser, treeMemoryBytes, tunePage } from './browser.ts';
import { NAME_SHIM } from './dom/extract.ts';
import { SELECTORS_VERSION } from './dom/selectors.ts';
import { DomSync } from './sync.ts';

const { Client, LocalAuth } = wweb;
type WwebClient = InstanceType<typeof Client>;

/** The page's other end in sim mode (sim/phone.ts): it writes the page whatsapp-web.js serves as
 * WhatsApp Web and acts on it; the session tells it when a page comes, shows a QR, is READY, goes. */
export interface SimPeer extends SimControl {
  writeWebVersion(): { version: string; path: string };
  attach(page: Page): Promise<void>;
  onQr(): void;
  onReady(): void;
  detach(): void;
  /** Test hook (sim mode only): whether a fault armed through /sim/fault is due here (taken once). */
  takeFault(name: SimFault): boolean;
}

interface SessionOptions {
  authDir: string;
  chromiumPath: string;
  chromiumSandbox: boolean;
  sink: WaSink;
  log: Logger;
  tuning: WaTuning;
  sim?: SimPeer;
}

const LOGGED_OUT_REASONS = new Set(['LOGOUT', 'UNPAIRED', 'UNPAIRED_IDLE']);
/** Where the last logout is kept (sync_state), so that it survives a slice restart. */
export const LOGOUT_SCOPE = 'wa.logout';

/** Chromium's network errors, by what they mean to the owner: the page never loaded. */
const NET_CAUSES: Array<[RegExp, WaCause]> = [
  [/net::ERR_(CERT_|SSL_|BAD_SSL|CERTIFICATE)/, 'tls'],
  [/net::ERR_(TIMED_OUT|CONNECTION_TIMED_OUT)|Navigation timeout|TimeoutError/, 'timeout'],
  [/net::ERR_(NAME_NOT_RESOLVED|NAME_RESOLUTION_FAILED|CONNECTION_REFUSED|CONNECTION_RESET|CONNECTION_CLOSED|ADDRESS_UNREACHABLE|INTERNET_DISCONNECTED|NETWORK_CHANGED|EMPTY_RESPONSE|PROXY_CONNECTION_FAILED|TUNNEL_CONNECTION_FAILED|NETWORK_ACCESS_DENIED)/, 'unreachable'],
];

/** A page action that lost its frame or target (navigation or a close raced it). */
export const DETACHED_RE = /detached Frame|Execution context was destroyed|Target closed|Session closed|TargetCloseError|No target with given id/i;

/**
 * One round-trip through the page: 'ok'; 'hung' when it throws for another reason (the renderer
 * is not answering as it should); the error when the handle lost its frame or session (the tab
 * may live on, but nothing we hold reaches it).
 */
function probePage(page: Page): Promise<'ok' | 'hung' | { detached: string }> {
  return page.evaluate('1').then(
    () => 'ok' as const,
    (err) => {
      const msg = String((err as Error)?.message ?? err);
      return DETACHED_RE.test(msg) ? { detached: msg } : ('hung' as const);
    },
  );
}

/** What a failed start means: the network (DISCONNECTED, retried), or the start itself (FAILED). */
export function classifyStartError(err: unknown): { state: WaState; cause: WaCause; detail: string } {
  const msg = String((err as Error)?.message ?? err);
  for (const [re, cause] of NET_CAUSES) {
    const m = re.exec(msg);
    if (m) {
      const code = /net::ERR_[A-Z_]+/.exec(msg)?.[0] ?? m[0];
      return { state: 'DISCONNECTED', cause, detail: `cannot reach WhatsApp Web: ${code}` };
    }
  }
  if (/Chromium not found/.test(msg)) return { state: 'FAILED', cause: 'browser_missing', detail: msg };
  if (DETACHED_RE.test(msg)) return { state: 'DISCONNECTED', cause: 'page_closed', detail: msg };
  return { state: 'FAILED', cause: 'start_failed', detail: msg };
}

/** What the browser or the library throws leaves as an AppError too: Internal (a 500 still), named. */
function failed(what: string): (err: unknown) => never {
  return (err) => {
    throw isAppError(err) ? err : new AppError('INTERNAL', `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  };
}

export class DomWaSession implements WaSession {
  private st: WaStatus = { state: 'STARTING', qr: null, since: new Date().toISOString(), detail: null, cause: null, lastLogout: null };
  private client: WwebClient | null = null;
  private browser: Browser | null = null;
  private browserPid: number | null = null;
  private page: Page | null = null;
  private sync: DomSync | null = null;
  private stopped = true;
  private restarts = 0;
  private attempt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private generation = 0;
  private lastMissing: string[] = [];
  private lastMessageSeenAt: string | null = null;
  private pendingPairing: ((code: string) => void) | null = null;
  private readyTimer: NodeJS.Timeout | null = null;
  private loadTimer: NodeJS.Timeout | null = null;
  /** The simulated phone's controls (sim mode only). */
  readonly sim: SimControl | undefined;

  constructor(private readonly o: SessionOptions) {
    this.sim = o.sim;
  }

  status(): WaStatus {
    return { ...this.st };
  }

  private setState(state: WaState, extra: { qr?: string | null; detail?: string | null; cause?: WaCause | null } = {}, force = false): void {
    const qr = extra.qr ?? null;
    const cause = extra.cause ?? null;
    if (!force && this.st.state === state && this.st.qr === qr && this.st.detail === (extra.detail ?? null) && this.st.cause === cause) return;
    // The last logout stays until the number is linked again (READY).
    const lastLogout = state === 'READY' ? null : this.st.lastLogout;
    this.st = { state, qr, since: new Date().toISOString(), detail: extra.detail ?? null, cause, lastLogout };
    this.o.log.info({ state, cause, detail: this.st.detail }, 'whatsapp state');
    Promise.resolve(this.o.sink.status(this.status())).catch((err) => this.o.log.warn({ err }, 'sink.status failed'));
  }

  async start(): Promise<void> {
    this.stopped = false;
    // A logout from before this process stays known until the number is linked again.
    const kept = await Promise.resolve(this.o.sink.loadSyncCursor(LOGOUT_SCOPE)).catch((err) => {
      this.o.log.warn({ err: (err as Error)?.message }, 'could not read the last logout');
      return null;
    });
    if (kept && typeof kept.at === 'string' && (kept.by === 'phone' || kept.by === 'user')) this.st = { ...this.st, lastLogout: { at: kept.at, by: kept.by } };
    await this.launch();
  }

  /** Records a logout (kept in the store until READY again) and reports LOGGED_OUT. */
  private loggedOut(by: 'phone' | 'user', detail: string): void {
    const lastLogout = { at: new Date().toISOString(), by };
    this.st = { ...this.st, lastLogout };
    this.persistLogout(lastLogout);
    this.setState('LOGGED_OUT', { detail, cause: by === 'phone' ? 'phone_unlinked' : 'user_logout' }, true);
  }

  private persistLogout(v: { at: string; by: string } | null): void {
    Promise.resolve(this.o.sink.saveSyncCursor(LOGOUT_SCOPE, v ?? {}, true)).catch((err) => this.o.log.warn({ err: (err as Error)?.message }, 'could not keep the last logout'));
  }

  /**
   * A fault found outside the session (the process handler's escaped error): the browser starts
   * again, keeping the login.
   */
  recover(cause: WaCause, detail: string): void {
    // A burst of them comes from one dying page: the restart already under way answers them all.
    if (this.restartTimer) return;
    this.onCrash(detail, cause);
  }

  /** One browser + client generation. Errors schedule a restart under backoff. */
  private async launch(): Promise<void> {
    const gen = ++this.generation;
    this.setState('STARTING', {}, true);
    try {
      // Rewritten at each start: the phone's page carries what arrived while no page was open.
      const simPage = this.o.sim?.writeWebVersion();
      const userDataDir = path.join(path.resolve(this.o.authDir), 'session');
      const launched = await launchBrowser({
        chromiumPath: this.o.chromiumPath,
        userDataDir,
        log: this.o.log,
        jsHeapMb: this.o.tuning.jsHeapMb,
        sandbox: this.o.chromiumSandbox,
        hostResolverRules: this.o.tuning.hostResolverRules,
      });
      if (gen !== this.generation || this.stopped) {
        await launched.browser.close().catch(() => {});
        return;
      }
      this.browser = launched.browser;
      this.browserPid = launched.pid;
      launched.browser.on('targetcreated', (t: Target) => void this.onTarget(t, gen));
      launched.browser.on('disconnected', () => {
        if (gen === this.generation && !this.stopped) this.onCrash('browser disconnected', 'browser_crashed');
      });
      const client = new Client({
        authStrategy: new LocalAuth({ dataPath: path.resolve(this.o.authDir) }),
        puppeteer: { browserWSEndpoint: launched.wsEndpoint },
        userAgent: false as unknown as string,
        qrMaxRetries: 0,
        authTimeoutMs: 60_000,
        ...(simPage
          ? { webVersion: simPage.version, webVersionCache: { type: 'local', path: simPage.path, strict: true } }
          : { webVersionCache: { type: 'local', path: path.join(path.resolve(this.o.authDir), '.wwebjs_cache') } }),
      } as ConstructorParameters<typeof Client>[0]);
      this.client = client;
      client.on('qr', (qr: string) => {
        if (gen !== this.generation) return;
        this.clearLoadTimer();
        this.setState('QR', { qr });
        this.o.sim?.onQr();
      });
      client.on('code', (code: string) => {
        this.pendingPairing?.(code);
        this.pendingPairing = null;
      });
      client.on('authenticated', () => {
        if (gen !== this.generation) return;
        this.clearLoadTimer();
        this.setState('AUTHENTICATING');
        this.armReadyTimeout(gen);
      });
      client.on('auth_failure', (msg: string) => {
        if (gen !== this.generation) return;
        this.setState('FAILED', { detail: `auth failure: ${msg}`, cause: 'auth_failure' });
        this.scheduleRestart('auth failure');
      });
      client.on('change_state', (s: string) => this.o.log.debug({ waState: s }, 'whatsapp web state'));
      client.on('disconnected', (reason: string) => {
        if (gen !== this.generation || this.stopped) return;
        const loggedOut = LOGGED_OUT_REASONS.has(String(reason));
        this.teardownPage();
        if (loggedOut) this.loggedOut('phone', `unlinked from the phone (${reason})`);
        else this.setState('DISCONNECTED', { detail: String(reason), cause: 'unreachable' });
        this.scheduleRestart(`disconnected: ${reason}`);
      });
      client.on('ready', () => void this.onReady(gen));
      this.armLoadTimeout(gen);
      await client.initialize();
    } catch (err) {
      if (gen !== this.generation || this.stopped) return;
      this.clearLoadTimer();
      const why = classifyStartError(err);
      this.o.log.error({ err: (err as Error)?.message ?? String(err), cause: why.cause }, 'whatsapp session failed to start');
      this.teardownPage();
      this.setState(why.state, { detail: why.detail, cause: why.cause });
      this.scheduleRestart(why.cause);
    }
  }

  /**
   * whatsapp-web.js loads the page with no timeout at all (`goto(…, { timeout: 0 })`): an origin
   * that accepts the connection and never answers would hold STARTING forever. No QR and no login
   * within the bound is a timeout, retried under the backoff like any unreachable origin.
   */
  private armLoadTimeout(gen: number): void {
    this.clearLoadTimer();
    const ms = this.o.tuning.loadTimeoutMs;
    this.loadTimer = setTimeout(() => {
      this.loadTimer = null;
      if (gen !== this.generation || this.stopped || this.st.state !== 'STARTING') return;
      this.o.log.warn({ ms }, 'WhatsApp Web did not load in time');
      this.teardownPage();
      this.setState('DISCONNECTED', { detail: `cannot reach WhatsApp Web: no answer in ${Math.round(ms / 1000)} s`, cause: 'timeout' });
      this.scheduleRestart('load timeout');
    }, ms);
    this.loadTimer.unref();
  }

  private clearLoadTimer(): void {
    if (this.loadTimer) clearTimeout(this.loadTimer);
    this.loadTimer = null;
  }

  /** Linked but never READY: the page is stuck on its way; a new browser keeps the login. */
  private armReadyTimeout(gen: number): void {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    const ms = this.o.tuning.readyTimeoutMs;
    this.readyTimer = setTimeout(() => {
      this.readyTimer = null;
      if (gen === this.generation && !this.stopped && this.st.state === 'AUTHENTICATING') this.onCrash(`not ready ${ms} ms after authenticated`, 'ready_timeout');
    }, ms);
    this.readyTimer.unref();
  }

  private async onTarget(t: Target, gen: number): Promise<void> {
    if (t.type() !== 'page') return;
    try {
      const page = await t.page();
      if (!page || gen !== this.generation) return;
      // Test hook: the page goes while it is being set up (stealth, whatsapp-web.js and we are all at it).
      if (this.o.sim?.takeFault('close-page-during-setup')) void page.close().catch(() => {});
      await page.evaluateOnNewDocument(NAME_SHIM);
      await tunePage(page);
      await this.o.sim?.attach(page);
      this.page = page;
      page.on('error', (err) => gen === this.generation && this.onCrash(`page crashed: ${err.message}`, 'page_crashed'));
      page.on('close', () => {
        if (gen === this.generation && !this.stopped && this.page === page) this.onCrash('page closed', 'page_closed');
      });
    } catch (err) {
      if (gen !== this.generation || this.stopped) return;
      // A page that cannot be set up would be a page without our shims: start again.
      const msg = (err as Error)?.message ?? String(err);
      this.o.log.warn({ err: msg }, 'could not prepare the WhatsApp page');
      this.onCrash(`could not prepare the page: ${msg}`, DETACHED_RE.test(msg) ? 'page_closed' : 'start_failed');
    }
  }

  private async onReady(gen: number): Promise<void> {
    if (gen !== this.generation || !this.page) return;
    // Test hook: linked, but the chats never become ready (once).
    if (this.o.sim?.takeFault('never-ready')) return;
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = null;
    this.attempt = 0;
    const hadLogout = this.st.lastLogout !== null;
    this.setState('READY');
    if (hadLogout) this.persistLogout(null);
    this.o.sim?.onReady();
    // The watchdog first: everything after this needs the page's renderer, which may hang.
    this.startWatchdog(gen);
    // The blank first tab is an extra document for nothing. Not awaited: it shares the renderer,
    // and closing it waits on that renderer.
    void this.closeBlankTabs();
    const sync = new DomSync(this.page, this.o.sink, this.o.log, this.o.tuning);
    this.sync = sync;
    try {
      await sync.start();
      this.lastMissing = sync.missing;
    } catch (err) {
      if (gen !== this.generation || this.stopped) return;
      const msg = (err as Error)?.message ?? String(err);
      this.o.log.error({ err: msg }, 'initial sync failed');
      if (DETACHED_RE.test(msg)) this.onCrash(`initial sync lost the page: ${msg}`, 'detached_frame');
    }
  }

  private async closeBlankTabs(): Promise<void> {
    const pages = (await this.browser?.pages().catch(() => [])) ?? [];
    for (const p of pages) {
      try {
        if (p !== this.page && p.url() === 'about:blank') void p.close().catch(() => {});
      } catch {
        /* a page still being set up (no main frame yet) is not the blank first tab */
      }
    }
  }

  /** Resolves when the current READY page has been read completely (initial sync). */
  async synced(): Promise<void> {
    for (;;) {
      const s = this.sync;
      if (s) return s.synced;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private startWatchdog(gen: number): void {
    if (this.watchdog) clearInterval(this.watchdog);
    const every = this.o.tuning.watchdogIntervalMs;
    const ceiling = this.o.tuning.memoryCeilingBytes;
    this.watchdog = setInterval(() => {
      void (async () => {
        if (gen !== this.generation || this.stopped || !this.page) return;
        const answer = await Promise.race([
          probePage(this.page),
          new Promise<'hung'>((r) => setTimeout(() => r('hung'), Math.min(10_000, every))),
        ]);
        if (gen !== this.generation) return;
        if (answer === 'hung') return this.onCrash('page hangs (no answer to the probe)', 'page_hung');
        if (answer !== 'ok') return this.onCrash(`the page's frame is detached: ${answer.detached}`, 'detached_frame');
        const mem = this.browserPid ? treeMemoryBytes(this.browserPid) : null;
        if (mem != null && mem > ceiling) this.onCrash(`browser memory ${Math.round(mem / 1048576)} MB over the ceiling`, 'memory_ceiling');
      })();
    }, every);
    this.watchdog.unref();
  }

  private onCrash(reason: string, cause: WaCause): void {
    if (this.stopped) return;
    this.o.log.warn({ reason, cause }, 'restarting the browser');
    this.teardownPage();
    this.setState('DISCONNECTED', { detail: reason, cause });
    this.scheduleRestart(reason);
  }

  private teardownPage(): void {
    this.sync?.stop();
    this.sync = null;
    this.o.sim?.detach();
  }

  private scheduleRestart(reason: string): void {
    if (this.stopped || this.restartTimer) return;
    const b = this.o.tuning.backoff;
    const delay = Math.min(b.maxMs, b.initialMs * 2 ** this.attempt);
    this.attempt++;
    this.o.log.info({ reason, delayMs: delay, attempt: this.attempt }, 'reconnecting after backoff');
    const gen = ++this.generation; // invalidate the old generation's events now
    void this.closeBrowser();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped || gen !== this.generation) return;
      this.restarts++;
      void this.launch();
    }, delay);
  }

  private async closeBrowser(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = null;
    this.clearLoadTimer();
    const client = this.client;
    const browser = this.browser;
    const pid = this.browserPid;
    this.client = null;
    this.browser = null;
    this.browserPid = null;
    this.page = null;
    client?.removeAllListeners();
    if (browser) {
      await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    }
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.teardownPage();
    await this.closeBrowser();
    // A page being prepared while the session stopped may have reached the phone after the teardown.
    this.o.sim?.detach();
  }

  async health(): Promise<WaHealth> {
    if (this.sync && this.st.state === 'READY') {
      try {
        this.lastMissing = await this.sync.selfCheck();
      } catch {
        /* keep the last result */
      }
    }
    return {
      state: this.st.state,
      browserPid: this.browserPid,
      browserMemoryBytes: this.browserPid ? treeMemoryBytes(this.browserPid) : null,
      lastMessageSeenAt: this.sync?.lastMessageSeenAt ?? this.lastMessageSeenAt,
      missingSelectors: this.lastMissing,
      selectorsVersion: SELECTORS_VERSION,
      restarts: this.restarts,
    };
  }

  private requireSync(): DomSync {
    if (!this.sync || this.st.state !== 'READY') throw new AppError('WA_NOT_READY', `WhatsApp is not ready (state ${this.st.state})`);
    return this.sync;
  }

  async sendMessage(chatWaId: string, body: string): Promise<{ waId: string; sentAt: string }> {
    if (!body.trim()) throw new AppError('INVALID_ARGUMENT', 'message body is empty');
    return this.requireSync().sendMessage(chatWaId, body).catch(failed('sending failed'));
  }

  async sendMedia(chatWaId: string, file: OutgoingFile): Promise<{ waId: string; sentAt: string }> {
    return this.requireSync().sendMedia(chatWaId, file).catch(failed('sending the file failed'));
  }

  async react(chatWaId: string, messageWaId: string, emoji: string | null): Promise<ExtractedReaction[]> {
    return this.requireSync().react(chatWaId, messageWaId, emoji).catch(failed('reacting failed'));
  }

  async markRead(chatWaId: string): Promise<void> {
    return this.requireSync().markRead(chatWaId).catch(failed('marking read failed'));
  }

  async setChatFlags(chatWaId: string, change: Partial<ChatFlags>): Promise<ChatFlags> {
    return this.requireSync().setChatFlags(chatWaId, change).catch(failed('changing the chat failed'));
  }

  async openChatByPhone(e164: string): Promise<ExtractedChat> {
    return this.requireSync().openChatByPhone(e164).catch(failed('starting the chat failed'));
  }

  async logout(): Promise<void> {
    const client = this.client;
    if (!client || this.st.state !== 'READY') throw new AppError('WA_NOT_READY', `cannot log out in state ${this.st.state}`);
    this.generation++;
    this.teardownPage();
    try {
      await client.logout().catch(failed('logging out failed')); // closes the browser and removes the session directory
    } finally {
      this.client = null;
      await this.closeBrowser();
      this.loggedOut('user', 'logged out by the user');
      this.attempt = 0;
      // Show a fresh QR so the account can be linked again.
      this.scheduleRestart('logged out');
    }
  }

  async reloadQr(): Promise<void> {
    const state = this.st.state;
    if (state === 'READY' || state === 'AUTHENTICATING') throw new AppError('WA_ALREADY_LINKED', `WhatsApp is already linked (state ${state}): there is no QR code to reload`);
    if (this.stopped) throw new AppError('WA_NOT_READY', 'the WhatsApp session is stopped');
    this.o.log.info({ state }, 'a new QR code was asked for: starting the browser again');
    this.teardownPage();
    this.setState('STARTING', { detail: 'a new QR code was asked for' }, true);
    this.attempt = 0; // asked for, not a failure: the shortest wait
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    this.scheduleRestart('a new QR code was asked for');
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    const digits = phoneNumber.replace(/\D/g, '');
    if (!/^\d{8,15}$/.test(digits)) throw new AppError('INVALID_ARGUMENT', 'phone number must have 8 to 15 digits, international format');
    const client = this.client;
    if (!client || this.st.state !== 'QR') throw new AppError('WA_QR_NOT_SHOWN', `a pairing code needs the QR state (state ${this.st.state})`);
    return client.requestPairingCode(digits).catch(failed('the pairing code request failed'));
  }
}
