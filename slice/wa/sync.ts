// What the slice reads from a READY page, and how: the initial sync (every chat of the virtualised
// list, each conversation backfilled), then live changes from the MutationObserver, sending and
// marking read. Every page action goes through one queue, because they all click and scroll the
// same page.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import type { Logger } from 'pino';
import { AppError } from '../../lib/errors.ts';
import type { ChatFlags, ExtractedChat, ExtractedContact, ExtractedMessage, ExtractedReaction, OutgoingFile, WaSink } from './types.ts';
import type { WaTuning } from './tuning.ts';
import { chatIdFromTitle, extractMessagesIn, inPage, requiredByPhase, installPageModule, missingSelectorsIn, openChatIdIn, phoneFromJid, type RawChatRow } from './dom/extract.ts';
import { installObserver, type ObserverReport } from './dom/observe.ts';
import { collectChatList, openChatById, openChatRow, type OpenOptions } from './dom/chat-list.ts';
import { scrollToOldest } from './dom/backfill.ts';
import { selectorMap } from './dom/selectors.ts';
import { MediaFetcher, type FetchOutcome, type PageRunner } from './dom/media-fetch.ts';
import { typeAndSend, type SendTimeouts } from './dom/send.ts';
import { attachAndSend } from './dom/send-media.ts';
import { reactTo } from './dom/react.ts';
import { answerMuteDialog, rowMenu, showList, startChatByPhone, untilRow } from './dom/chat-actions.ts';

interface KnownChat {
  waId: string;
  title: string;
  isGroup: boolean;
  unread: number;
  preview: string | null;
  previewAck: string | null;
  timeText: string | null;
  lastMessageAt: string | null;
  pinned: boolean;
  muted: boolean;
  archived: boolean;
}

/** The menu item that sets a flag to a value, as WhatsApp Web labels it. */
const MENU_LABEL: Record<keyof ChatFlags, [on: string, off: string]> = {
  pinned: ['Pin chat', 'Unpin chat'],
  muted: ['Mute notifications', 'Unmute notifications'],
  archived: ['Archive chat', 'Unarchive chat'],
};

export class DomSync {
  private queue: Promise<unknown> = Promise.resolve();
  /** By id only: titles repeat (a contact and a group can both be "Alice"). */
  private byId = new Map<string, KnownChat>();
  /** waId → what was last reported, so repeated observer reports of a row are not re-sent. */
  private reported = new Map<string, string>();
  private acks = new Map<string, number>();
  /** Per chat, the newest message reported: a refresh scrolls back to it, so that a burst larger
   * than what opening a chat shows (or what came while the initial sync read other chats) is read
   * whole, not only its last screenful. */
  private newestKnown = new Map<string, { waId: string; sentAt: string }>();
  private openWaId: string | null = null;
  private openTitle: string | null = null;
  private stopped = false;
  private refreshPending = new Set<string>();
  /** While the slice itself pins, mutes, archives or starts a chat, the rows it changes are its own doing. */
  private acting = false;
  /** Until when row reports may not change flags: the settle time after the slice's own change. */
  private actedUntil = 0;
  /** Files of reported messages, read from the page once the store has the message. */
  private readonly fetcher: MediaFetcher;
  /** `waId:available` pairs already fetched (or found held): not asked about again. */
  private mediaTried = new Set<string>();
  private fetching = new Set<string>();
  /** Messages whose row changed while their file was being fetched: looked at again after. */
  private fetchAgain = new Set<string>();
  /** Passes that went back for a file, per message (at most tuning.mediaSweepTries). */
  private sweepTries = new Map<string, number>();
  /** Messages whose row showed a file or its thumbnail this session: the only ones a pass goes
   * back for (a placeholder that never shows a source is not worth opening its chat for). */
  private sawFile = new Set<string>();
  private sweepTimer: NodeJS.Timeout | null = null;
  missing: string[] = [];
  lastMessageSeenAt: string | null = null;
  synced: Promise<void>;
  private resolveSynced!: () => void;

  constructor(
    private readonly page: Page,
    private readonly sink: WaSink,
    private readonly log: Logger,
    private readonly tuning: WaTuning,
  ) {
    this.synced = new Promise((r) => (this.resolveSynced = r));
    this.fetcher = new MediaFetcher(page, sink.media, log);
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    this.resolveSynced();
    void this.fetcher.dispose();
  }

  /** `restoreList` false: an action that opens nothing (reading a piece of a file) leaves the list as it is. */
  private run<T>(fn: () => Promise<T>, restoreList = true): Promise<T> {
    const next = this.queue.then(async () => {
      if (this.stopped) throw new AppError('UNAVAILABLE', 'the WhatsApp page is gone');
      try {
        return await fn();
      } finally {
        // The chats, not the Archived list, are where new activity shows: the observer watches them.
        if (!this.stopped && restoreList) await showList(this.page, false, this.tuning.openChatTimeoutMs).catch(() => {});
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Already inside the queue (the initial sync, a refresh): page actions run at once. */
  private readonly direct: PageRunner = (fn) => fn();
  /** From outside the queue: each page action (one piece of a file) waits its turn, so a send
   * queued meanwhile waits one piece at most. */
  private readonly queued: PageRunner = (fn) => this.run(fn, false);

  /**
   * Downloads what the store lacks of these (committed) messages' files. During a chat's sync the
   * steps that need a row rendered run at once (they may scroll away later) and the rest (pieces,
   * a download's completion) goes on queued, piece by piece, so a send waits one piece at most.
   */
  private async fetchMedia(msgs: ExtractedMessage[], mode: 'sync' | 'refresh' | 'observed'): Promise<void> {
    // The initial sync holds the page anyway (a send waits for it): it reads each file whole.
    const now = mode === 'observed' ? this.queued : this.direct;
    const later = mode === 'sync' ? this.direct : this.queued;
    for (const m of msgs) {
      if (this.stopped) return;
      if (!m.media || m.media.available === 'none' || m.recalled) continue;
      this.sawFile.add(m.waId);
      // Only the thumbnail shows: the file may come while another chat is open; go back for it.
      if (m.media.available === 'thumb') this.scheduleSweep(this.tuning.mediaSweepMs);
      const key = `${m.waId}:${m.media.available}`;
      if (this.mediaTried.has(key)) continue;
      if (this.fetching.has(m.waId)) {
        this.fetchAgain.add(m.waId);
        continue;
      }
      this.fetching.add(m.waId);
      const settle = (outcome: FetchOutcome | null): void => {
        if (outcome === 'done') this.mediaTried.add(key);
        this.fetching.delete(m.waId);
        if (this.fetchAgain.delete(m.waId) && !this.stopped) {
          // The row changed meanwhile (the full file replaced its thumbnail): read it as it is now.
          void this.run(() => inPage(this.page, 'messageById', m.waId), false)
            .then((row) => (row ? this.fetchMedia([{ ...row, chatWaId: m.chatWaId }], 'observed') : undefined))
            .catch(() => {});
        }
      };
      const failed = (err: unknown): null => {
        this.log.warn({ err: (err as Error).message, waId: m.waId }, 'could not fetch a file');
        return null;
      };
      const started = await this.fetcher.fetch(m, now, later).catch(failed);
      if (!started || 'done' in started) settle(started?.done ?? null);
      else if (mode === 'refresh') void started.rest.catch(failed).then(settle);
      else settle(await started.rest.catch(failed));
    }
  }

  /** Installs the in-page code, reads everything, then starts observing. */
  async start(): Promise<void> {
    await installPageModule(this.page);
    await this.fetcher.enableDownloads().catch((err) => this.log.warn({ err: (err as Error).message }, 'downloads from the page are not captured'));
    try {
      await this.run(() => this.initialSync());
      await installObserver(this.page, (r) => this.onReport(r), this.tuning.observerBatchMs);
      // The observer reports what changes from now on; what arrived while the sync read other
      // chats (or after it read the open one) is caught up here.
      await this.run(() => this.catchUp());
    } finally {
      this.resolveSynced();
    }
    this.scheduleSweep(0);
  }

  /** The next pass for files the store still lacks, in `ms` (one pending at a time). */
  private scheduleSweep(ms: number): void {
    if (this.stopped || this.sweepTimer) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = null;
      this.sweepMedia().catch((err) => this.log.warn({ err: (err as Error).message }, 'could not go back for files'));
    }, ms);
    this.sweepTimer.unref();
  }

  /**
   * Goes back for the files the store lacks: WhatsApp Web decrypts a file only while its row is
   * shown, so a chat the initial sync read before its files were ready (or a download a kill cut
   * short) leaves them pending. Only files whose row showed a source or a thumbnail are gone back
   * for. Each chat is opened (a short queued task that reads what already shows), then left open
   * for mediaWaitMs with the queue free: the observer sees a thumbnail turn into the file and the
   * download follows. A file is tried mediaSweepTries times at most, then left to the next session.
   */
  private async sweepMedia(): Promise<void> {
    const wanted = (await this.sink.media.missing(50)).filter(
      (w) => this.sawFile.has(w.waId) && (this.sweepTries.get(w.waId) ?? 0) < this.tuning.mediaSweepTries && !this.fetching.has(w.waId),
    );
    if (wanted.length === 0 || this.stopped) return;
    const byChat = new Map<string, string[]>();
    for (const w of wanted) byChat.set(w.chatWaId, [...(byChat.get(w.chatWaId) ?? []), w.waId]);
    for (const [chatWaId, ids] of byChat) {
      const chat = this.byId.get(chatWaId);
      if (!chat || this.stopped) continue;
      for (const id of ids) this.sweepTries.set(id, (this.sweepTries.get(id) ?? 0) + 1);
      const shown = await this.run(async () => {
        await this.openById(chat);
        const rows: ExtractedMessage[] = [];
        for (const waId of ids) {
          const row = await inPage(this.page, 'messageById', waId);
          // A row that shows nothing to fetch will not show more this session.
          if (!row || row.media?.available === 'none') this.sweepTries.set(waId, this.tuning.mediaSweepTries);
          else rows.push({ ...row, chatWaId });
        }
        return rows;
      }).catch((err) => {
        this.log.warn({ err: (err as Error).message, chat: chat.title }, "could not go back for a chat's files");
        return [] as ExtractedMessage[];
      });
      if (shown.length === 0) continue;
      await this.fetchMedia(shown, 'observed');
      if (shown.some((r) => r.media?.available === 'thumb')) await new Promise((r) => setTimeout(r, this.tuning.mediaWaitMs));
    }
    this.scheduleSweep(this.tuning.mediaSweepMs);
  }

  private async initialSync(): Promise<void> {
    const t0 = Date.now();
    const rows = await collectChatList(this.page, this.tuning.settleMs);
    const ready = await missingSelectorsIn(this.page, 'ready');
    // Archived chats are read from the Archived list, after the others.
    if (await this.hasArchived()) {
      await showList(this.page, true, this.tuning.openChatTimeoutMs);
      rows.push(...(await collectChatList(this.page, this.tuning.settleMs)));
    }
    const chatMatched = new Set<string>();
    const chatRequired = new Set<string>();
    let count = 0;
    for (const row of rows) {
      if (this.stopped) return;
      try {
        count += await this.syncChat(row, true);
        // A chat selector counts as present when it matched in any chat (a chat of photos only
        // has no text), so the check runs in every chat the sync opens.
        const miss = await missingSelectorsIn(this.page, 'chat');
        for (const m of miss) chatRequired.add(m);
        for (const p of CHAT_PHASE) if (!miss.includes(p)) chatMatched.add(p);
      } catch (err) {
        this.log.warn({ err: (err as Error).message, chat: row.title, position: row.position }, 'could not read a chat');
      }
    }
    const chatMissing = rows.length > 0 ? [...chatRequired].filter((n) => !chatMatched.has(n)) : [];
    this.missing = [...new Set([...ready, ...chatMissing])];
    if (rows.length === 0) this.missing = [...new Set([...ready])];
    if (this.missing.length) this.log.error({ missing: this.missing }, 'selector self-check: selectors match nothing (WhatsApp Web changed?)');
    this.log.info({ chats: rows.length, messages: count, ms: Date.now() - t0 }, 'initial sync done');
  }

  /** After the initial sync: the open chat read again back to its newest known message, and every
   * row of the list compared with what the sync saw (a changed one is refreshed, as the observer's
   * reports are). */
  private async catchUp(): Promise<void> {
    const open = this.openWaId;
    if (open) {
      await this.scrollBackToKnown(open);
      await this.report(await extractMessagesIn(this.page, open), open);
    }
    const rows = await collectChatList(this.page, this.tuning.settleMs);
    this.log.debug({ rows: rows.length, open }, 'catching up after the initial sync');
    await this.onReport({ messages: [], chats: rows.map((r) => ({ ...r, selected: false })) });
  }

  /** Loads older rows of the open chat until its newest known message shows (or the top).
   * `newest`: as known before the chat was opened (the observer reports the rows that opening it
   * renders, which would otherwise move the mark past the gap). */
  private async scrollBackToKnown(chatWaId: string, newest = this.newestKnown.get(chatWaId)): Promise<void> {
    // A longer wait than the backfill's: stopping early here loses messages, and when the known
    // message shows at once (the usual case) no wait is spent at all.
    if (!newest) return;
    const r = await scrollToOldest(this.page, { stopAtWaId: newest.waId, idleMs: Math.max(1_500, this.tuning.backfillIdleMs) });
    this.log.debug({ chat: chatWaId, newest: newest.waId, ...r }, 'scrolled back to the newest known message');
  }

  /** Opens a chat, backfills it per its cursor, reports chat and messages. Returns messages read. */
  private async syncChat(row: RawChatRow, backfill: boolean): Promise<number> {
    // Which chat the row opened is the header's to say; an older page without it may still name
    // the chat in its messages' packed ids; only then is the title the id, and only if unique.
    await showList(this.page, row.archived, this.tuning.openChatTimeoutMs);
    const knownBefore = new Map(this.newestKnown);
    const headerId = await openChatRow(this.page, row.title, row.position, this.openOpts());
    const firstJid = headerId
      ? null
      : await inPage(this.page, 'chatJidFromMessages');
    const sameTitle = this.titled(row.title);
    const waId = headerId ?? firstJid ?? (sameTitle.length === 1 ? sameTitle[0]!.waId : chatIdFromTitle(row.title).waId);
    this.openWaId = waId;
    this.openTitle = row.title;
    const known = this.byId.get(waId);
    const scope = `chat:${waId}`;
    if (backfill) {
      const cursor = await this.sink.loadSyncCursor(scope);
      const complete = cursor?.complete === true;
      const stopAt = complete && typeof cursor?.newestWaId === 'string' ? cursor.newestWaId : null;
      await scrollToOldest(this.page, { stopAtWaId: stopAt, idleMs: this.tuning.backfillIdleMs });
    } else {
      await this.scrollBackToKnown(waId, knownBefore.get(waId));
    }
    const msgs = await extractMessagesIn(this.page, waId);
    const isGroup = waId.endsWith('@g.us');
    const newest = msgs[msgs.length - 1] ?? null;
    const chat: KnownChat = {
      waId,
      title: row.title,
      isGroup,
      unread: row.unreadCount,
      preview: row.preview,
      previewAck: row.previewAck,
      timeText: row.timeText,
      lastMessageAt: newest?.sentAt ?? known?.lastMessageAt ?? null,
      pinned: row.pinned,
      muted: row.muted,
      archived: row.archived,
    };
    this.remember(chat);
    // A refresh (a list row changed) reports only what is new or changed, and the message first:
    // that is what the user waits for.
    if (backfill) {
      await this.sink.chats([this.toExtracted(chat)]);
      if (!isGroup) await this.sink.contacts([this.contactOf(chat)]);
      await this.report(msgs, waId, true);
    } else {
      if (!known) await this.sink.chats([this.toExtracted(chat)]);
      await this.report(msgs, waId, false);
      if (known) await this.sink.chats([this.toExtracted(chat)]);
      else if (!isGroup) await this.sink.contacts([this.contactOf(chat)]);
    }
    // Every file of the chat while its rows are rendered (the messages are committed now).
    await this.fetchMedia(msgs, backfill ? 'sync' : 'refresh');
    if (backfill) {
      await this.sink.saveSyncCursor(scope, { newestWaId: newest?.waId ?? null, oldestWaId: msgs[0]?.waId ?? null, complete: true }, true);
    }
    return msgs.length;
  }

  private openOpts(): OpenOptions {
    return { settleMs: this.tuning.settleMs, timeoutMs: this.tuning.openChatTimeoutMs };
  }

  private titled(title: string): KnownChat[] {
    return [...this.byId.values()].filter((c) => c.title === title);
  }

  private remember(chat: KnownChat): void {
    // A chat first known by its title alone is this one, now that the page named its id.
    const byTitle = chatIdFromTitle(chat.title).waId;
    if (byTitle !== chat.waId) this.byId.delete(byTitle);
    this.byId.set(chat.waId, chat);
  }

  private toExtracted(c: KnownChat): ExtractedChat {
    return {
      waId: c.waId,
      name: c.title,
      phone: phoneFromJid(c.waId) ?? chatIdFromTitle(c.title).phone,
      isGroup: c.isGroup,
      preview: c.preview,
      lastMessageAt: c.lastMessageAt,
      unreadCount: c.unread,
      pinned: c.pinned,
      muted: c.muted,
      archived: c.archived,
    };
  }

  private async hasArchived(): Promise<boolean> {
    return (await inPage(this.page, 'labelled', selectorMap().archivedEntry, ['Archived'])) !== null;
  }

  private contactOf(c: KnownChat): ExtractedContact {
    const phone = phoneFromJid(c.waId) ?? chatIdFromTitle(c.title).phone;
    return { waId: c.waId, name: phone && c.title.replace(/[\s()+-]/g, '') === phone.slice(1) ? null : c.title, phone };
  }

  /** Reports what is new or changed; answers what it reported. */
  private async report(msgs: ExtractedMessage[], chatWaId: string | null, force = false): Promise<ExtractedMessage[]> {
    const out: ExtractedMessage[] = [];
    for (const m of msgs) {
      if (!m.chatWaId && chatWaId) m.chatWaId = chatWaId;
      if (!m.chatWaId) continue;
      const newest = this.newestKnown.get(m.chatWaId);
      // Rows come oldest first: a later row of the same minute is the newer one.
      if (!newest || m.sentAt >= newest.sentAt) this.newestKnown.set(m.chatWaId, { waId: m.waId, sentAt: m.sentAt });
      // Ticks only move forward; reports from the observer and from a send can cross.
      const prevAck = this.acks.get(m.waId);
      if (prevAck !== undefined && m.ack >= 0 && m.ack < prevAck) m.ack = prevAck;
      this.acks.set(m.waId, m.ack);
      // Anything a person would see change: ticks, text, the file's state, chips, preview, "Edited".
      const sig = JSON.stringify([m.ack, m.recalled, m.body, m.mediaKind, m.kind, m.media?.available, m.reactions, m.linkPreview, m.edited]);
      // The store is idempotent, but the initial sync re-reports everything anyway (force).
      if (!force && this.reported.get(m.waId) === sig) continue;
      this.reported.set(m.waId, sig);
      out.push(m);
    }
    if (out.length === 0) return out;
    for (const m of out) if (!this.lastMessageSeenAt || m.sentAt > this.lastMessageSeenAt) this.lastMessageSeenAt = m.sentAt;
    await this.sink.messages(out);
    return out;
  }

  private async onReport(r: ObserverReport): Promise<void> {
    if (this.stopped) return;
    const openWaId = this.openWaId;
    if (r.messages.length) {
      try {
        const reported = await this.report(r.messages, openWaId);
        // Not awaited: the observer's next report must not wait for a download.
        if (reported.length) void this.fetchMedia(reported, 'observed');
        const chat = openWaId ? this.byId.get(openWaId) : null;
        const newest = r.messages.reduce<string | null>((a, m) => (!a || m.sentAt > a ? m.sentAt : a), null);
        if (chat && newest && (!chat.lastMessageAt || newest > chat.lastMessageAt)) {
          chat.lastMessageAt = newest;
          const last = r.messages[r.messages.length - 1]!;
          chat.preview = last.body || chat.preview;
          await this.sink.chats([this.toExtracted(chat)]);
        }
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'could not store observed messages');
      }
    }
    if (r.chats) {
      for (const row of r.chats) {
        if (!row.title) continue; // a row still rendering
        const sameTitle = this.titled(row.title);
        const isOpenRow = row.selected || (row.title === this.openTitle && sameTitle.length <= 1);
        if (isOpenRow) {
          // The open chat's rows are observed directly; keep its list snapshot current.
          const known = openWaId ? this.byId.get(openWaId) : undefined;
          if (known) {
            const flagsChanged = known.pinned !== row.pinned || known.muted !== row.muted || known.archived !== row.archived;
            Object.assign(known, { preview: row.preview, previewAck: row.previewAck, timeText: row.timeText });
            // A pin or mute done on the phone shows in the open chat's row too: report it.
            if (flagsChanged && !this.ownChangeSettling()) {
              Object.assign(known, { pinned: row.pinned, muted: row.muted, archived: row.archived });
              await this.sink.chats([this.toExtracted(known)]).catch((err) => this.log.warn({ err: (err as Error).message }, 'could not store a row change'));
            }
          }
          continue;
        }
        // Rows carry no id: a row is unchanged when some known chat of its title looks like it.
        // Right after the slice's own change its flags are not news (the report may predate it);
        // a new preview, time or unread count still is.
        const settling = this.ownChangeSettling();
        const unchanged = sameTitle.some(
          (known) =>
            known.preview === row.preview &&
            known.previewAck === row.previewAck &&
            known.timeText === row.timeText &&
            (settling || (known.pinned === row.pinned && known.muted === row.muted && known.archived === row.archived)) &&
            !(row.unreadCount > 0 && row.unreadCount !== known.unread),
        );
        if (!unchanged && !this.acting) this.scheduleRefresh(row);
      }
    }
  }

  /** The slice is changing a chat, or has just done so: row reports of that moment are not news. */
  private ownChangeSettling(): boolean {
    return this.acting || Date.now() < this.actedUntil;
  }

  /** A row changed in the list while another chat is open: open it and read what is new. */
  private scheduleRefresh(row: RawChatRow): void {
    const key = `${row.title}\u0000${row.position}`;
    if (this.refreshPending.has(key)) return;
    this.refreshPending.add(key);
    void this.run(async () => {
      this.refreshPending.delete(key);
      await this.syncChat(row, false);
    }).catch((err) => this.log.warn({ err: (err as Error).message, chat: row.title }, 'could not refresh a chat'));
  }

  async sendMessage(chatWaId: string, body: string): Promise<{ waId: string; sentAt: string }> {
    return this.sendInChat(chatWaId, (t) => typeAndSend(this.page, body, t));
  }

  async sendMedia(chatWaId: string, file: OutgoingFile): Promise<{ waId: string; sentAt: string }> {
    // The store keeps files under their sha256; the page sends a file under its own name, so the
    // browser is given a link to it named as the sender named it, removed once sent.
    const named = await namedCopy(this.sink.media.tempDir, file);
    try {
      return await this.sendInChat(chatWaId, (t) => attachAndSend(this.page, { ...file, path: named.path }, { ...t, uiTimeoutMs: this.tuning.openChatTimeoutMs }));
    } finally {
      await named.remove();
    }
  }

  /** Opens the chat, sends with `send`, reports the new bubble; answers its id and time. */
  private sendInChat(chatWaId: string, send: (t: SendTimeouts) => Promise<ExtractedMessage>): Promise<{ waId: string; sentAt: string }> {
    return this.run(async () => {
      const chat = this.byId.get(chatWaId);
      if (!chat) throw new AppError('NOT_FOUND', `unknown chat ${chatWaId}`);
      await this.openById(chat);
      const msg = await send({ timeoutMs: this.tuning.sendTimeoutMs, ackTimeoutMs: this.tuning.sendAckTimeoutMs });
      msg.chatWaId = chatWaId;
      await this.report([msg], chatWaId);
      return { waId: msg.waId, sentAt: msg.sentAt };
    });
  }

  async react(chatWaId: string, messageWaId: string, emoji: string | null): Promise<ExtractedReaction[]> {
    return this.run(async () => {
      const chat = this.byId.get(chatWaId);
      if (!chat) throw new AppError('NOT_FOUND', `unknown chat ${chatWaId}`);
      await this.openById(chat);
      const r = await reactTo(this.page, messageWaId, emoji, { timeoutMs: this.tuning.openChatTimeoutMs, idleMs: this.tuning.backfillIdleMs });
      if (r.message) await this.report([{ ...r.message, chatWaId }], chatWaId);
      return r.reactions;
    });
  }

  async markRead(chatWaId: string): Promise<void> {
    return this.run(async () => {
      const chat = this.byId.get(chatWaId);
      if (!chat) throw new AppError('NOT_FOUND', `unknown chat ${chatWaId}`);
      await this.openById(chat);
      chat.unread = 0;
      await this.sink.chats([this.toExtracted(chat)]);
    });
  }

  /**
   * Pins, mutes, archives (or undoes it) from the chat's row menu, one change at a time, each
   * confirmed by reading the row again (archiving: by finding the row in the other list). A change
   * that the page does not show fails naming it and the ones already done.
   */
  async setChatFlags(chatWaId: string, change: Partial<ChatFlags>): Promise<ChatFlags> {
    return this.run(async () => {
      const chat = this.byId.get(chatWaId);
      if (!chat) throw new AppError('NOT_FOUND', `unknown chat ${chatWaId}`);
      this.acting = true;
      const done: string[] = [];
      try {
        await this.openById(chat);
        // Unarchive first (pins live in the chats list), archive last.
        const order: (keyof ChatFlags)[] = change.archived === false ? ['archived', 'pinned', 'muted'] : ['pinned', 'muted', 'archived'];
        for (const k of order) {
          const want = change[k];
          if (want === undefined || chat[k] === want) continue;
          const label = MENU_LABEL[k][want ? 0 : 1];
          try {
            await rowMenu(this.page, label, this.tuning.openChatTimeoutMs);
            if (k === 'muted' && want) await answerMuteDialog(this.page, this.tuning.openChatTimeoutMs);
            if (k === 'archived') {
              await this.confirmInList(chat, want);
              chat.archived = want;
              if (want) chat.pinned = false; // WhatsApp unpins what it archives
            } else {
              const row = await untilRow(this.page, this.tuning.openChatTimeoutMs, `${k} ${want}`, (r) => r[k] === want);
              chat.pinned = row.pinned;
              chat.muted = row.muted;
            }
          } catch (err) {
            const msg = `chat ${chatWaId}: "${label}" failed: ${(err as Error).message}${done.length ? ` (done before: ${done.join(', ')})` : ''}`;
            throw new AppError(err instanceof AppError && err.code !== 'INTERNAL' ? err.code : 'WA_ACTION_NOT_CONFIRMED', msg);
          }
          done.push(label);
        }
        return { pinned: chat.pinned, muted: chat.muted, archived: chat.archived };
      } finally {
        this.acting = false;
        this.actedUntil = Date.now() + this.tuning.actionSettleMs;
      }
    });
  }

  /** After archiving (or unarchiving) the open chat, its row must be in the other list. */
  private async confirmInList(chat: KnownChat, archived: boolean): Promise<void> {
    await showList(this.page, archived, this.tuning.openChatTimeoutMs);
    const t0 = Date.now();
    for (;;) {
      const row = await inPage(this.page, 'selectedRow');
      if (row && row.title === chat.title && row.archived === archived) return;
      if (Date.now() - t0 > this.tuning.openChatTimeoutMs) {
        throw new AppError('WA_ACTION_NOT_CONFIRMED', `the chat is not in the ${archived ? 'Archived list' : 'chat list'}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** "New chat" with a phone number; the chat as the list shows it (known from now on). */
  async openChatByPhone(e164: string): Promise<ExtractedChat> {
    return this.run(async () => {
      this.acting = true;
      this.openWaId = null;
      this.openTitle = null;
      try {
        await startChatByPhone(this.page, e164, this.tuning.openChatTimeoutMs);
        const open = await inPage(this.page, 'openChat');
        if (!open.id || !open.title) throw new AppError('WA_ACTION_NOT_CONFIRMED', `the conversation for ${e164} names no chat id`);
        const row = await inPage(this.page, 'selectedRow');
        const known = this.byId.get(open.id);
        const chat: KnownChat = known ?? {
          waId: open.id,
          title: open.title,
          isGroup: open.id.endsWith('@g.us'),
          unread: 0,
          preview: row?.preview ?? null,
          previewAck: row?.previewAck ?? null,
          timeText: row?.timeText ?? null,
          lastMessageAt: null,
          pinned: row?.pinned ?? false,
          muted: row?.muted ?? false,
          archived: row?.archived ?? false,
        };
        this.remember(chat);
        this.openWaId = chat.waId;
        this.openTitle = chat.title;
        return this.toExtracted(chat);
      } finally {
        this.acting = false;
        this.actedUntil = Date.now() + this.tuning.actionSettleMs;
      }
    });
  }

  /** Opens `chat` and confirms from the header that it is open; throws WA_CHAT_NOT_CONFIRMED otherwise. */
  private async openById(chat: KnownChat): Promise<void> {
    this.openWaId = null; // whatever happens now, the chat open before is no longer known
    this.openTitle = null;
    await showList(this.page, chat.archived, this.tuning.openChatTimeoutMs);
    try {
      await openChatById(this.page, chat.title, chat.waId, this.openOpts());
    } catch (err) {
      // Another chat may be open now: the observer must file what it sees there under that one.
      const open = await openChatIdIn(this.page).catch(() => null);
      if (open && this.byId.has(open)) this.openWaId = open;
      throw err;
    }
    this.openWaId = chat.waId;
    this.openTitle = chat.title;
  }

  /** Re-runs the selector self-check on the page as it is now. */
  async selfCheck(): Promise<string[]> {
    const ready = await missingSelectorsIn(this.page, 'ready');
    const mainOpen = await inPage(this.page, 'chatOpen');
    const chat = mainOpen ? await missingSelectorsIn(this.page, 'chat') : this.missing.filter((n) => CHAT_PHASE.includes(n));
    this.missing = [...new Set([...ready, ...chat])];
    return this.missing;
  }
}

const CHAT_PHASE: string[] = requiredByPhase().chat ?? [];

/** A name a file may have on any filesystem: the last path segment, no control or reserved characters. */
export function fileNameForUpload(name: string, fallback: string): string {
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').replace(/^\.+/, '').trim().slice(0, 200);
  return base || fallback;
}

/** `file` reachable under its own name: a hard link in a fresh folder of `tempDir` (a copy where
 * linking is refused), and how to remove it. */
async function namedCopy(tempDir: string, file: OutgoingFile): Promise<{ path: string; remove: () => Promise<void> }> {
  const dir = await fsp.mkdtemp(path.join(tempDir, 'send-'));
  const target = path.join(dir, fileNameForUpload(file.fileName, `file${path.extname(file.path)}`));
  try {
    await fsp.link(file.path, target);
  } catch {
    await fsp.copyFile(file.path, target);
  }
  return { path: target, remove: () => fsp.rm(dir, { recursive: true, force: true }) };
}
