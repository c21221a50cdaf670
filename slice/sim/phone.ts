// The simulated phone: WhatsApp's server side for one slice in WA_MODE=sim. It keeps the account's
// chats, the linked devices and the messages that arrive while the slice is down in a JSON file in
// the session directory, writes the simulator page (x.html) that whatsapp-web.js serves as WhatsApp
// Web, and acts on that page the way the other side of WhatsApp would. It never calls the sink: the
// slice's DOM code has to notice everything in the page.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CDPSession, Page } from 'puppeteer-core';
import type { Logger } from 'pino';
import type { SimPeer } from '../wa/session.ts';
import type { SimFault, SimIncoming, SimPhoneMessage } from '../wa/types.ts';
import { repoRootFrom } from '../../lib/repo-root.ts';
import { loadScenario, DEFAULT_SCENARIO_PATH, type SimMedia, type SimMessage, type SimScenario } from './scenario.ts';
import { SimMediaFiles } from './media-files.ts';

/** The most the page reads of a file in one call (it asks for 512 KiB). */
const MAX_READ = 1024 * 1024;

/** A preview card for the body's first link, as the phone's WhatsApp would fetch it. */
function previewFor(body: string): SimMessage['linkPreview'] {
  const m = /https?:\/\/[^\s<]+/.exec(body);
  if (!m) return null;
  try {
    const u = new URL(m[0]);
    return { title: `${u.host}${u.pathname === '/' ? '' : u.pathname}`, description: `A page on ${u.host}`, host: u.host, url: m[0] };
  } catch {
    return null;
  }
}

// From the release root, not from this module's URL: in a compiled bundle that is the bundle's.
const HERE = path.join(repoRootFrom(import.meta.url), 'slice', 'sim');
const SIM_WEB_VERSION = 'sim';

/** What the page tells the phone: a sent message, a row's new state, a chat started, an unlink. */
interface PageEvent {
  type: string;
  chatJid?: string;
  message?: SimMessage;
  deviceId?: string;
  pinned?: boolean;
  muted?: boolean;
  archived?: boolean;
  chat?: { jid: string; name: string; isGroup: boolean; createdAt?: string };
  // upload-piece: a piece of a file the page sends (the last one names its sha256).
  uploadId?: string;
  offset?: number;
  dataBase64?: string;
  last?: { sha256: string } | null;
  // reacted: this account's reaction to message waId (null: taken back).
  waId?: string;
  emoji?: string | null;
}

interface PhoneState {
  scenarioFile: string;
  me: SimScenario['me'];
  chats: SimScenario['chats'];
  linkedDevices: string[];
  /** How many of the scenario's timed incoming messages were delivered already. */
  incomingDone: number;
}

export class SimPhone implements SimPeer {
  private state: PhoneState;
  private readonly stateFile: string;
  private readonly scenario: SimScenario;
  private page: Page | null = null;
  private timers: NodeJS.Timeout[] = [];
  private scanTimer: NodeJS.Timeout | null = null;
  /**
   * Incoming messages the phone holds that no page has shown (delivered while the page was not
   * loaded, or loaded from an older snapshot than the message): by id, their chat. WhatsApp hands a
   * linked device what came while it was away once it connects; READY is that moment here.
   */
  private readonly unshown = new Map<string, string>();
  /**
   * The page's session is READY. Before it, a message handed to the page may be lost (WhatsApp
   * Web's load replaces the document that took it) though the page said it took it: seen after a
   * restart under incoming traffic, every message of those seconds gone. So nothing is handed over
   * before READY; onReady hands over all the phone holds unshown.
   */
  private pageReady = false;
  readonly cacheDir: string;
  /** The files the other side sends (and the page uploads), by sha256, in `<authDir>/sim-media`. */
  readonly files: SimMediaFiles;

  constructor(
    private readonly opts: { authDir: string; scenarioFile?: string; scanAfterMs: number; log: Logger; cacheDir?: string },
  ) {
    const file = path.resolve(opts.scenarioFile ?? DEFAULT_SCENARIO_PATH);
    this.scenario = loadScenario(file);
    fs.mkdirSync(opts.authDir, { recursive: true });
    this.stateFile = path.join(opts.authDir, 'sim-phone.json');
    this.cacheDir = opts.cacheDir ?? fs.mkdtempSync(path.join(fs.realpathSync((process.env.TMPDIR ?? '/tmp')), 'queunir-sim-'));
    this.state = this.loadState(file);
    this.files = new SimMediaFiles(path.join(opts.authDir, 'sim-media'));
  }

  private loadState(file: string): PhoneState {
    try {
      const s = JSON.parse(fs.readFileSync(this.stateFile, 'utf8')) as PhoneState;
      if (s.scenarioFile === file && Array.isArray(s.chats)) return s;
    } catch {
      /* first start, or unreadable: start from the scenario */
    }
    return { scenarioFile: file, me: this.scenario.me, chats: structuredClone(this.scenario.chats), linkedDevices: [], incomingDone: 0 };
  }

  private save(): void {
    const tmp = `${this.stateFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.state));
    fs.renameSync(tmp, this.stateFile);
  }

  /** The scenario's chats as the phone holds them now (history plus what arrived since). */
  chats(): SimScenario['chats'] {
    return this.state.chats;
  }

  /** Writes `<cacheDir>/sim.html`, the page whatsapp-web.js serves as https://web.whatsapp.com/. */
  writeWebVersion(): { path: string; version: string } {
    const standins = fs.readFileSync(path.join(HERE, 'page-standins.js'), 'utf8');
    const script = fs.readFileSync(path.join(HERE, 'page-script.js'), 'utf8');
    // Attaching files and the reaction picker, on top of page-script.js's state (window.__simInternals).
    const compose = fs.readFileSync(path.join(HERE, 'page-compose.js'), 'utf8');
    const bootJson = JSON.stringify({ me: this.state.me, chats: this.state.chats, linkedDevices: this.state.linkedDevices, bareMessageIds: this.scenario.bareMessageIds === true, unregisteredNumbers: this.scenario.unregisteredNumbers ?? [] }).replace(/</g, '\\u003c');
    const html =
      '<!doctype html><html lang="en" dir="ltr"><head><meta charset="utf-8"><title>WhatsApp</title>' +
      '<style>body{margin:0;font:14px sans-serif}#app{height:100vh}.two{display:flex}#side{width:420px}#main-holder{flex:1}</style>' +
      `<script>window.__simBoot=${bootJson};</script><script>${standins}</script></head>` +
      `<body><div id="app"><div class="landing-wrapper">Loading…</div></div><script>${script}</script><script>${compose}</script></body></html>`;
    fs.mkdirSync(this.cacheDir, { recursive: true });
    const file = path.join(this.cacheDir, `${SIM_WEB_VERSION}.html`);
    fs.writeFileSync(file, html);
    return { path: this.cacheDir, version: SIM_WEB_VERSION };
  }

  /** Called by the session with each new page (before WhatsApp Web loads in it). */
  async attach(page: Page): Promise<void> {
    this.page = page;
    this.pageReady = false;
    await page
      .exposeFunction('__simPhoneEvent', (ev: PageEvent) => this.onPageEvent(ev))
      .catch((err: Error) => {
        if (!/already exists/.test(err.message)) throw err;
      });
    // The page reads a received file in pieces (base64), never the whole file at once.
    await page
      .exposeFunction('__simMediaRead', (sha256: string, offset: number, length: number) =>
        this.files.read(sha256, Math.max(0, Math.floor(offset)), Math.min(MAX_READ, Math.max(0, Math.floor(length)))).toString('base64'),
      )
      .catch((err: Error) => {
        if (!/already exists/.test(err.message)) throw err;
      });
  }

  detach(): void {
    this.page = null;
    this.pageReady = false;
    this.clearTimers();
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.scanTimer) clearTimeout(this.scanTimer);
    this.scanTimer = null;
  }

  /** The session shows a QR: with SIM_SCAN_AFTER_MS > 0 the phone scans it after that long. */
  onQr(): void {
    if (this.opts.scanAfterMs > 0 && !this.scanTimer) {
      this.scanTimer = setTimeout(() => {
        this.scanTimer = null;
        this.scan().catch((err) => this.opts.log.warn({ err }, 'simulated scan failed'));
      }, this.opts.scanAfterMs);
    }
  }

  /** The session is READY: start the scenario's timeline of incoming messages. */
  onReady(): void {
    this.clearTimers();
    this.pageReady = true;
    for (const [id, jid] of [...this.unshown]) {
      const m = this.state.chats.find((c) => c.jid === jid)?.messages.find((x) => x.id === id);
      if (!m) this.unshown.delete(id);
      else void this.show(jid, m);
    }
    const rest = this.scenario.incoming.slice(this.state.incomingDone);
    for (const [i, inc] of rest.entries()) {
      this.timers.push(
        setTimeout(() => {
          this.state.incomingDone = Math.max(this.state.incomingDone, this.scenario.incoming.indexOf(inc) + 1);
          this.deliverIncoming({ chatWaId: inc.chatJid, body: inc.body, author: inc.author }).catch((err) =>
            this.opts.log.warn({ err, i }, 'simulated incoming message failed'),
          );
        }, inc.atMs),
      );
    }
  }

  private onPageEvent(ev: PageEvent): boolean | void {
    if (ev.type === 'upload-piece') return this.receivePiece(ev);
    if (ev.type === 'reacted' && ev.chatJid && ev.waId) {
      const m = this.state.chats.find((c) => c.jid === ev.chatJid)?.messages.find((x) => x.id === ev.waId);
      if (!m) return;
      m.reactions = [...(m.reactions ?? []).filter((r) => !r.fromMe), ...(ev.emoji ? [{ emoji: ev.emoji, fromMe: true }] : [])];
      this.save();
      return;
    }
    if (ev.type === 'sent' && ev.chatJid && ev.message) {
      const chat = this.state.chats.find((c) => c.jid === ev.chatJid);
      if (!chat || chat.messages.some((m) => m.id === ev.message!.id)) return;
      chat.messages.push({ ...ev.message, ack: Math.max(1, ev.message.ack) });
      this.save();
      const id = ev.message.id;
      const { deliveredAfterMs, readAfterMs } = this.scenario.acks;
      if (deliveredAfterMs >= 0) this.timers.push(setTimeout(() => void this.ackOutgoing(id, 2).catch(() => {}), deliveredAfterMs));
      if (readAfterMs >= 0) this.timers.push(setTimeout(() => void this.ackOutgoing(id, 3).catch(() => {}), readAfterMs));
    } else if (ev.type === 'chat-state' && ev.chatJid) {
      const chat = this.state.chats.find((c) => c.jid === ev.chatJid);
      if (!chat) return;
      Object.assign(chat, { pinned: ev.pinned === true, muted: ev.muted === true, archived: ev.archived === true });
      this.save();
    } else if (ev.type === 'chat-created' && ev.chat) {
      if (this.state.chats.some((c) => c.jid === ev.chat!.jid)) return;
      this.state.chats.push({ ...ev.chat, messages: [] });
      this.save();
    } else if (ev.type === 'unlinked') {
      this.state.linkedDevices = this.state.linkedDevices.filter((d) => d !== ev.deviceId);
      this.save();
    }
  }

  private requirePage(): Page {
    if (!this.page || this.page.isClosed()) throw new Error('the simulator page is not open');
    return this.page;
  }

  async scan(): Promise<void> {
    const page = this.requirePage();
    const dev = await page.evaluate(() => (window as unknown as { __sim: { scan(): string } }).__sim.scan());
    this.state.linkedDevices.push(dev);
    this.save();
  }

  async deliverIncoming(message: SimIncoming): Promise<{ waId: string; sentAt: string }> {
    const chat = this.state.chats.find((c) => c.jid === message.chatWaId);
    if (!chat) throw new Error(`simulator: no chat ${message.chatWaId}`);
    if (message.quotedWaId && !chat.messages.some((m) => m.id === message.quotedWaId)) {
      throw new Error(`simulator: no message ${message.quotedWaId} in chat ${message.chatWaId} to quote`);
    }
    const at = new Date();
    at.setSeconds(0, 0);
    const m: SimMessage = {
      id: `3A${randomBytes(9).toString('hex').toUpperCase()}`,
      fromMe: false,
      author: message.system ? '' : message.author ?? chat.name,
      body: message.body,
      at: at.toISOString(),
      ack: 0,
      media: message.media && !message.system ? this.keepMedia(message.media) : null,
      quotedId: message.quotedWaId ?? null,
      recalled: false,
    };
    if (message.system) m.system = true;
    else {
      const preview = m.media ? null : previewFor(message.body);
      if (preview) m.linkPreview = preview;
    }
    if (chat.isGroup && !message.system) m.authorJid = `5599${randomBytes(4).readUInt32BE(0)}@c.us`;
    chat.messages.push(m);
    this.save(); // the phone keeps it even when no page shows it now
    this.unshown.set(m.id, chat.jid);
    await this.show(chat.jid, m);
    const after = message.media?.downloadAfterMs ?? 0;
    const media = m.media;
    if (after > 0 && media && typeof media === 'object' && media.sha256) {
      // WhatsApp on the linked device fetches the file a while later: the thumbnail shows till then.
      this.timers.push(
        setTimeout(() => {
          media.downloaded = true;
          this.save();
          void this.page
            ?.evaluate((id) => (window as unknown as { __sim?: { mediaReady(i: string): boolean } }).__sim?.mediaReady(id), m.id)
            .catch((err: Error) => this.opts.log.debug({ err: err.message }, 'media ready: page not ready'));
        }, after),
      );
    }
    return { waId: m.id, sentAt: m.at };
  }

  /** Hands a message the phone holds to the page; one the page could not take stays unshown till READY. */
  private async show(chatJid: string, m: SimMessage): Promise<void> {
    if (!this.page || this.page.isClosed() || !this.pageReady) return;
    const shown = await this.page
      .evaluate(
        async (jid, msg) => {
          // Before the page's script ran (or while it loads) there is nothing to take it.
          const sim = (window as unknown as { __sim?: { receive(j: string, m: unknown): unknown } }).__sim;
          if (!sim) return false;
          await sim.receive(jid, msg);
          return true;
        },
        chatJid,
        m as unknown as Record<string, unknown>,
      )
      .catch((err: Error) => {
        this.opts.log.debug({ err: err.message }, 'incoming message kept for later: page not ready');
        return false;
      });
    if (shown) this.unshown.delete(m.id);
  }

  /** Keeps a sent file's bytes under their sha256 (a location or contact card has none). */
  private keepMedia(media: NonNullable<SimIncoming['media']>): SimMedia {
    const d = media.details ?? {};
    const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
    const bytes = media.dataBase64 !== undefined ? Buffer.from(media.dataBase64, 'base64') : null;
    if (!bytes && media.kind !== 'location' && media.kind !== 'contact') throw new Error(`simulator: a ${media.kind} needs dataBase64`);
    const kept = bytes ? this.files.put(bytes) : null;
    const out: SimMedia = {
      kind: media.kind,
      mimeType: media.mimeType,
      fileName: media.fileName ?? null,
      size: kept?.size ?? 0,
      sha256: kept?.sha256 ?? null,
      downloaded: !((media.downloadAfterMs ?? 0) > 0),
    };
    const width = num(d.width);
    const height = num(d.height);
    const durationMs = num(d.durationMs);
    if (width) out.width = width;
    if (height) out.height = height;
    if (durationMs) out.durationMs = durationMs;
    if (media.details) out.details = media.details;
    return out;
  }

  /** The message `waId` as the phone holds it, and its chat; an unknown id is the caller's error. */
  private findMessage(waId: string): { chat: SimScenario['chats'][number]; msg: SimMessage } {
    for (const chat of this.state.chats) {
      const msg = chat.messages.find((m) => m.id === waId);
      if (msg) return { chat, msg };
    }
    throw new Error(`no message ${waId}`);
  }

  /** Tells the page of a change to a message; it draws the row again (the observer reports it). */
  private async redraw(fn: string, ...args: unknown[]): Promise<void> {
    if (!this.page || this.page.isClosed()) return;
    await this.page.evaluate(
      (name, a) => (window as unknown as { __sim: Record<string, (...x: unknown[]) => unknown> }).__sim[name]!(...a),
      fn,
      args,
    );
  }

  async ackOutgoing(waId: string, ack: number): Promise<void> {
    for (const c of this.state.chats) {
      const m = c.messages.find((x) => x.id === waId);
      if (m && m.fromMe) {
        if (m.ack < ack) {
          m.ack = ack;
          this.save();
        }
        break;
      }
    }
    const page = this.requirePage();
    await page.evaluate((id, a) => (window as unknown as { __sim: { ack(i: string, a: number): boolean } }).__sim.ack(id, a), waId, ack);
  }

  async reactFromPhone(waId: string, emoji: string | null): Promise<void> {
    const { msg } = this.findMessage(waId);
    if (msg.recalled) throw new Error(`message ${waId} was deleted`);
    // The other side is one person: one reaction of theirs at most.
    const rs = (msg.reactions ?? []).filter((r) => r.fromMe);
    if (emoji) rs.push({ emoji, fromMe: false });
    msg.reactions = rs;
    this.save();
    await this.redraw('react', waId, emoji);
  }

  async editFromPhone(waId: string, body: string): Promise<void> {
    const { msg } = this.findMessage(waId);
    if (msg.fromMe) throw new Error(`message ${waId} is not the other side's to edit`);
    if (msg.recalled) throw new Error(`message ${waId} was deleted`);
    msg.body = body;
    msg.edited = true;
    this.save();
    await this.redraw('edit', waId, body);
  }

  async recallFromPhone(waId: string): Promise<void> {
    const { msg } = this.findMessage(waId);
    if (msg.fromMe) throw new Error(`message ${waId} is not the other side's to delete`);
    Object.assign(msg, { recalled: true, body: 'This message was deleted', media: null, reactions: [], linkPreview: null, edited: false });
    this.save();
    await this.redraw('recall', waId);
  }

  /** A piece of a file the page uploads; answers whether it was taken (the last: kept whole). */
  private receivePiece(ev: PageEvent): boolean {
    if (typeof ev.uploadId !== 'string' || typeof ev.offset !== 'number' || typeof ev.dataBase64 !== 'string') return false;
    try {
      return this.files.receive(ev.uploadId, ev.offset, Buffer.from(ev.dataBase64, 'base64'), ev.last ?? null);
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'simulated upload refused');
      return false;
    }
  }

  async phoneMessages(chatWaId: string): Promise<SimPhoneMessage[]> {
    const chat = this.state.chats.find((c) => c.jid === chatWaId);
    if (!chat) throw new Error(`no chat ${chatWaId}`);
    return chat.messages.map((m) => ({
      waId: m.id,
      fromMe: m.fromMe,
      body: m.body,
      sentAt: m.at,
      ack: m.ack,
      kind: m.system ? 'system' : m.media ? 'media' : 'text',
      // The old string form is a placeholder with no file: no type, size or sha256 to tell.
      media: !m.media ? null : typeof m.media === 'string' ? { kind: m.media, mimeType: '', fileName: null, size: 0, sha256: '' } : { kind: m.media.kind, mimeType: m.media.mimeType, fileName: m.media.fileName, size: m.media.size, sha256: m.media.sha256 ?? '' },
      reactions: (m.reactions ?? []).map((r) => ({ emoji: r.emoji, fromMe: r.fromMe })),
      edited: m.edited === true,
      recalled: m.recalled === true,
    }));
  }

  async removeSelector(name: string): Promise<void> {
    const page = this.requirePage();
    await page.evaluate((n) => (window as unknown as { __sim: { breakSelector(n: string): boolean } }).__sim.breakSelector(n), name);
  }

  private armed = new Set<SimFault>();

  async fault(name: SimFault): Promise<void> {
    if (name === 'detach-page') return this.detachPage();
    if (name !== 'hang-page') {
      this.armed.add(name);
      return;
    }
    // The renderer's main thread spins: nothing the page is asked answers any more.
    const page = this.requirePage();
    // A string: nothing of the build (helpers, names) in the way of the loop reaching the page.
    await page.evaluate('void setTimeout(function () { for (;;) {} }, 0)');
  }

  /**
   * "Attempted to use detached Frame", as after hours of idling: the tab lives on, but the
   * DevTools session puppeteer reaches it through is detached, so its frame handles go stale.
   */
  private async detachPage(): Promise<void> {
    const page = this.requirePage();
    // puppeteer keeps the page's own session private; its id is what the browser detaches.
    const own = (page as unknown as { _client(): CDPSession & { parentSession(): CDPSession | undefined } })._client();
    // Sent where puppeteer attached it: the tab's session (Chromium's tab targets), else the root.
    const parent = own.parentSession() ?? own.connection();
    if (!parent) throw new Error("the page's session has no connection");
    await parent.send('Target.detachFromTarget', { sessionId: own.id() });
  }

  takeFault(name: SimFault): boolean {
    return this.armed.delete(name);
  }

  async logoutFromPhone(): Promise<void> {
    this.state.linkedDevices = [];
    this.save();
    const page = this.requirePage();
    // The page reacts at once (whatsapp-web.js closes the browser), so the call may not return.
    await page.evaluate(() => void setTimeout(() => (window as unknown as { __sim: { remoteLogout(): void } }).__sim.remoteLogout(), 0));
  }

  dispose(): void {
    this.clearTimers();
    this.page = null;
    fs.rmSync(this.cacheDir, { recursive: true, force: true });
  }
}
