// Chromium for one slice: launched by puppeteer-extra + stealth over puppeteer-core, tuned to keep
// memory down, and handed to whatsapp-web.js through its DevTools endpoint.
import fs from 'node:fs';
import path from 'node:path';
import puppeteerCore, { type Browser, type Page } from 'puppeteer-core';
import { addExtra } from 'puppeteer-extra';
import StealthPlugin from 'puppeteer-extra-plugin-stealth';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { AppError } from '../../lib/errors.ts';
import { BASE_TUNING } from './tuning.ts';
import { endProcesses, processesWithArg } from '../../lib/leftover-processes.ts';

const BROWSER_LANG = 'en-US';

/** Flags from ENVIRONMENT.md (headless as root, no background traffic on a closed network) plus
 * memory savers: one renderer process, no extensions/audio/GPU, a capped V8 heap, small caches. */
export function chromiumArgs(userDataDir: string, opts: { jsHeapMb?: number; sandbox?: boolean } = {}): string[] {
  // Chromium's sandbox needs its zygote; without the sandbox the zygote is two processes for nothing.
  const sandbox = opts.sandbox ? [] : ['--no-sandbox', '--no-zygote'];
  return [
    `--user-data-dir=${userDataDir}`,
    ...sandbox,
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-quic',
    `--lang=${BROWSER_LANG}`,
    '--renderer-process-limit=1',
    '--process-per-site',
    '--disable-site-isolation-trials',
    // No spare renderer kept warm, no back-forward cache, no per-site processes, no preloaded
    // omnibox popup (a WebUI page in a renderer of its own, even headless).
    '--disable-features=site-per-process,IsolateOrigins,SpareRendererForSitePerProcess,Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,BackForwardCache,CalculateNativeWinOcclusion,InterestFeedContentSuggestions,PaintHolding,DestroyProfileOnBrowserClose,WebUIOmniboxPopup,PreloadTopChromeWebUI,OmniboxAim,WebUIOmniboxAimPopup',
    // The network service and the GPU thread inside the browser process: two processes fewer.
    '--enable-features=NetworkServiceInProcess2',
    '--in-process-gpu',
    '--disable-extensions',
    '--disable-default-apps',
    '--mute-audio',
    '--disable-breakpad',
    '--disable-crash-reporter',
    '--disable-software-rasterizer',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    '--disable-background-timer-throttling',
    '--disable-hang-monitor',
    '--disable-ipc-flooding-protection',
    '--metrics-recording-only',
    '--password-store=basic',
    '--use-mock-keychain',
    '--disk-cache-size=8388608',
    '--media-cache-size=1048576',
    '--blink-settings=imagesEnabled=false',
    `--js-flags=--max-old-space-size=${opts.jsHeapMb ?? BASE_TUNING.jsHeapMb} --optimize-for-size`,
    '--window-size=1280,900',
  ];
}

/** Chromium refuses to start (exit 21) on a profile whose Singleton* files point at another host or
 * a dead process. Called only when no browser of ours runs on this profile. */
export function removeStaleProfileLocks(userDataDir: string, log?: Logger): string[] {
  const removed: string[] = [];
  for (const name of ['SingletonLock', 'SingletonSocket', 'SingletonCookie']) {
    const p = path.join(userDataDir, name);
    try {
      fs.lstatSync(p);
    } catch {
      continue;
    }
    try {
      fs.rmSync(p, { force: true });
      removed.push(name);
    } catch (err) {
      log?.warn({ err, file: p }, 'could not remove a stale profile lock');
    }
  }
  if (removed.length) log?.info({ removed }, 'removed stale Chromium profile locks');
  return removed;
}

/** A browser an earlier slice process left running on this profile (it outlives a hard kill of the
 * slice: Chromium leads a process group of its own) is ended before a new one starts there. */
async function endLeftoverBrowsers(userDataDir: string, log?: Logger): Promise<number[]> {
  const pids = processesWithArg(`--user-data-dir=${userDataDir}`);
  if (pids.length === 0) return pids;
  log?.warn({ pids }, 'a browser from an earlier run still uses the profile: ending it first');
  await endProcesses(pids, 3000);
  return pids;
}

interface LaunchedBrowser {
  browser: Browser;
  wsEndpoint: string;
  pid: number | null;
}

export async function launchBrowser(options: {
  chromiumPath: string;
  userDataDir: string;
  log: Logger;
  jsHeapMb?: number;
  headless?: boolean;
  /** Chromium's own sandbox (namespaces + seccomp-bpf); it needs user namespaces where it runs. */
  sandbox?: boolean;
  hostResolverRules?: string | null;
}): Promise<LaunchedBrowser> {
  if (!fs.existsSync(options.chromiumPath)) {
    throw new AppError('FAILED_PRECONDITION', `Chromium not found at CHROMIUM_PATH=${options.chromiumPath} (install the chromium package)`);
  }
  const executablePath = resolveChromiumBinary(options.chromiumPath);
  if (executablePath !== options.chromiumPath) options.log.info({ executablePath }, 'CHROMIUM_PATH is a shell wrapper: launching the binary it wraps');
  fs.mkdirSync(options.userDataDir, { recursive: true });
  await endLeftoverBrowsers(options.userDataDir, options.log);
  removeStaleProfileLocks(options.userDataDir, options.log);
  const puppeteer = addExtra(puppeteerCore as never) as unknown as typeof puppeteerCore;
  ownPluginHooks(options.log);
  const stealth = StealthPlugin();
  (puppeteer as unknown as { use(p: unknown): void }).use(stealth);
  const browser = await puppeteer.launch({
    executablePath,
    headless: options.headless ?? true,
    args: [
      ...chromiumArgs(options.userDataDir, { jsHeapMb: options.jsHeapMb, sandbox: options.sandbox ?? false }),
      ...(options.hostResolverRules ? [`--host-resolver-rules=${options.hostResolverRules}`] : []),
    ],
    defaultViewport: { width: 1280, height: 900 },
    // whatsapp-web.js adds its own user agent handling; stealth fixes HeadlessChrome in the UA.
    ignoreDefaultArgs: ['--enable-automation'],
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    protocolTimeout: 60_000,
  });
  const pid = browser.process()?.pid ?? null;
  options.log.info({ pid }, 'chromium launched');
  return { browser, wsEndpoint: browser.wsEndpoint(), pid };
}

let hooksOwned = false;
/** puppeteer-extra binds every plugin's target hook to the browser's 'targetcreated' and awaits
 * nothing it returns: a page closed while stealth sets it up rejects there, unowned, and kills the
 * process. The hook is wrapped once (all plugins share the base class): such a rejection is logged,
 * and the session sees the page's close itself. */
function ownPluginHooks(log: Logger): void {
  if (hooksOwned) return;
  hooksOwned = true;
  // The CommonJS copy: the one stealth's evasions extend (the ES build is a class of its own).
  const { PuppeteerExtraPlugin } = createRequire(import.meta.url)('puppeteer-extra-plugin') as { PuppeteerExtraPlugin: { prototype: object } };
  type Plugin = { onTargetCreated?(t: unknown): Promise<void>; onPageCreated?(p: unknown): Promise<void> };
  const proto = PuppeteerExtraPlugin.prototype as unknown as { _onTargetCreated(this: Plugin, t: unknown): Promise<void> };
  // The library's own hook, but failing into our log: its version prints the error to stderr
  // (console.error), a line no log reader can parse.
  proto._onTargetCreated = function (this: Plugin, t: unknown) {
    const target = t as TargetLike;
    return ownDroppedSends(t)
      .then(async () => {
        if (this.onTargetCreated) await this.onTargetCreated(t);
        if (target.type() !== 'page' || !this.onPageCreated) return;
        const page = (await target.page()) as { isClosed?(): boolean } | null;
        if (page && page.isClosed?.() === false) await this.onPageCreated(page);
      })
      .catch((err: unknown) => log.warn({ err: (err as Error)?.message ?? String(err) }, 'a browser plugin could not set up a page'));
  };
}

const SENDS_OWNED = Symbol('queunir.sendsOwned');
type TargetLike = { type(): string; page(): Promise<{ _client?: unknown } | null> };
type CdpLike = { send(...a: unknown[]): Promise<unknown>; [SENDS_OWNED]?: true };

/** Stealth's user-agent evasion fires `client.send('Network.setUserAgentOverride')` without awaiting
 * it: on a page closed during set-up that rejects with no owner. Every send on the page's session
 * gets a handler; a caller that awaits still sees the rejection. A getter, because the sourceurl
 * evasion replaces `send` with an async wrapper of its own (a new promise): whatever is assigned
 * is wrapped again when read, so the promise the caller drops is always the owned one. */
async function ownDroppedSends(t: unknown): Promise<void> {
  const target = t as TargetLike;
  if (target.type() !== 'page') return;
  const page = await target.page().catch(() => null);
  if (!page) return;
  const c = (typeof page._client === 'function' ? (page._client as () => unknown).call(page) : page._client) as CdpLike | undefined;
  if (!c || c[SENDS_OWNED]) return;
  c[SENDS_OWNED] = true;
  let current = c.send;
  Object.defineProperty(c, 'send', {
    configurable: true,
    get() {
      const fn = current;
      return function (this: unknown, ...a: unknown[]) {
        const p = fn.apply(this, a);
        p.catch(() => {});
        return p;
      };
    },
    set(fn: CdpLike['send']) {
      current = fn;
    },
  });
}

/** Debian's /usr/bin/chromium is a shell script that adds flags and misbehaves under puppeteer;
 * when given such a wrapper and the real binary sits in /usr/lib/chromium, use the binary. */
export function resolveChromiumBinary(p: string): string {
  try {
    const fd = fs.openSync(p, 'r');
    const head = Buffer.alloc(2);
    fs.readSync(fd, head, 0, 2, 0);
    fs.closeSync(fd);
    if (head.toString() === '#!' && fs.existsSync('/usr/lib/chromium/chromium')) return '/usr/lib/chromium/chromium';
  } catch {
    /* let the launch report it */
  }
  return p;
}

/** Per-page savers that do not need request interception (whatsapp-web.js owns the page's
 * interception for its web-version cache): block images, media and fonts at the network layer and
 * pin Accept-Language so dates in data-pre-plain-text have one format. */
export async function tunePage(page: Page): Promise<void> {
  await page.setExtraHTTPHeaders({ 'Accept-Language': `${BROWSER_LANG},en;q=0.9` });
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  await cdp.send('Network.setBlockedURLs', {
    urls: ['*.jpg', '*.jpeg', '*.png', '*.gif', '*.webp', '*.mp4', '*.webm', '*.ogg', '*.opus', '*.mp3', '*.woff', '*.woff2', '*.ttf', '*mmg.whatsapp.net*', '*pps.whatsapp.net*', '*media*.whatsapp.net*'],
  });
}

/** PSS (falls back to RSS) of a process and all its descendants, from /proc. */
export function treeMemoryBytes(rootPid: number): number | null {
  const pids = descendants(rootPid);
  pids.unshift(rootPid);
  let total = 0;
  let any = false;
  for (const pid of pids) {
    const v = processPss(pid);
    if (v != null) {
      total += v;
      any = true;
    }
  }
  return any ? total : null;
}

export function processPss(pid: number): number | null {
  try {
    const txt = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const m = /^Pss:\s+(\d+) kB/m.exec(txt);
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* fall through to RSS */
  }
  try {
    const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(st);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function descendants(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      /* process went away */
    }
  }
  const out: number[] = [];
  const stack = [...(children.get(rootPid) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}
