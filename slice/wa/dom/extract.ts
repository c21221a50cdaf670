// DOM extraction, run IN the page. `pageModule` is serialised with Function.prototype.toString and
// evaluated inside WhatsApp Web (or the simulator, or a fixture page), so it must be
// self-contained: no imports, no closures over Node values; the selectors come in as an argument.
// Everything here reads what a person sees; nothing touches WhatsApp's internal modules.
import type { Page } from 'puppeteer-core';
import type { ExtractedMedia, ExtractedMessage, ExtractedReaction, LinkPreview, MediaKind } from '../types.ts';
import { selectorMap, SELECTORS, TEXT_LABELS, type SelectorName } from './selectors.ts';

/** A chat list row as the page shows it, before the Node side resolves its stable id. */
export interface RawChatRow {
  title: string;
  preview: string | null;
  timeText: string | null;
  lastMessageAt: string | null;
  unreadCount: number;
  /** The ticks shown before the preview when the last message is one's own ("msg-dblcheck: Read"). */
  previewAck: string | null;
  /** translateY or DOM order: the row's position in the (virtualised) list. */
  position: number;
  selected: boolean;
  pinned: boolean;
  muted: boolean;
  /** Read from the Archived list. */
  archived: boolean;
}

interface PageApi {
  parsePrePlain(text: string, dateOrder?: 'DMY' | 'MDY'): { at: string | null; author: string | null };
  listVisibleChats(): RawChatRow[];
  openChatTitle(): string | null;
  /** The open chat's id, from the conversation header only. */
  openChatId(): string | null;
  /** The chat list row titled `title` nearest to `position` (any such row when position is null). */
  findChatRow(title: string, position: number | null): Element | null;
  extractMessages(chatWaId: string | null): ExtractedMessage[];
  extractRow(el: Element, chatWaId: string | null, shallow?: boolean): ExtractedMessage | null;
  chatJidFromMessages(): string | null;
  missingSelectors(phase: string): string[];
  /** Whether a conversation is open. */
  chatOpen(): boolean;
  /** The open chat's title and header id together. */
  openChat(): { title: string | null; id: string | null };
  /** True once the chat titled `title` shows and, if it was open before by that title, its id changed. */
  chatShown(title: string, prevTitle: string | null, prevId: string | null): boolean;
  /** Scrolls the chat list back to its top. */
  chatListToTop(): void;
  /** The data-id of every message row now rendered. */
  messageIds(): string[];
  /** The newest outgoing message whose data-id is not in `known`, or null. */
  newOutgoing(known: string[]): ExtractedMessage | null;
  /** Message `waId` once its clock has turned into a tick (or an error), else null. */
  acked(waId: string): ExtractedMessage | null;
  /** Message `waId` as it is rendered now, or null when it is not. */
  messageById(waId: string): ExtractedMessage | null;
  /** Where message `waId`'s file can be read now: a URL (a blob: file, or the data: thumbnail), a
   * download the page offers (a document's button), or null (not rendered, or nothing there). */
  mediaSource(waId: string, variant: 'thumb' | 'full'): { url: string } | { download: true } | null;
  /** Clicks the download button of message `waId` (the page then offers the file); false if gone. */
  clickDownload(waId: string): boolean;
  /** Which list the side pane shows: 'archived' (the Archived list), 'main', or null (none). */
  listView(): 'main' | 'archived' | null;
  /** The open chat's row (aria-selected), scrolled into view: its centre and what it shows. */
  selectedRow(): (RawChatRow & { x: number; y: number }) | null;
  /** The centre of the first element matching `selector` whose aria-label or text is one of
   * `labels` (inside `within` when given), or null. */
  labelled(selector: string, labels: string[], within?: string): { x: number; y: number; label: string } | null;
}

/** The whole in-page module. `S` is selectorMap(); `required` maps a phase to selector names. */
function pageModule(S: Record<string, string>, required: Record<string, string[]>, L: Record<string, readonly string[]>): PageApi {
  const norm = (s: string | null | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();

  /** Whether an element keeps line breaks as typed (WhatsApp styles message text pre-wrap). */
  const keepsBreaks = (el: Element): boolean => {
    try {
      return /pre|break-spaces/.test(getComputedStyle(el).whiteSpace);
    } catch {
      return false;
    }
  };

  /** Text of a node as a person reads it: emoji images turned back into their characters, <br>
   * and pre-wrap newlines kept, the indentation of markup collapsed, aria-hidden parts skipped. */
  // WhatsApp renders *bold*, _italic_, ~strike~ and `code` as elements and drops the markers: a
  // message body gets them back, so the CRM shows (and stores) what the sender typed.
  const MARKS: Record<string, string> = { STRONG: '*', B: '*', EM: '_', I: '_', DEL: '~', S: '~', CODE: '`' };
  const textOf = (el: Element | null, marks = false): string => {
    if (!el) return '';
    let out = '';
    const walk = (n: Node, pre: boolean): void => {
      if (n.nodeType === 3) out += pre ? n.nodeValue ?? '' : (n.nodeValue ?? '').replace(/\s+/g, ' ');
      else if (n.nodeType === 1) {
        const e = n as Element;
        if (e.tagName === 'IMG') out += e.getAttribute('data-plain-text') ?? e.getAttribute('alt') ?? '';
        else if (e.tagName === 'BR') out += '\n';
        else if (e.getAttribute('aria-hidden') === 'true') return;
        else {
          const p = keepsBreaks(e);
          const mark = marks ? (MARKS[e.tagName] ?? '') : '';
          out += mark;
          e.childNodes.forEach((c) => walk(c, p));
          out += mark;
        }
      }
    };
    walk(el, keepsBreaks(el));
    return out
      .split('\n')
      .map((l) => l.replace(/[ \t\r\f\v]+/g, ' ').trim())
      .join('\n')
      .replace(/^\n+|\n+$/g, '');
  };

  /** "[9:12 am, 10/12/2025] Author: " → ISO time (page-local clock) and author. 24-hour, 12-hour,
   * D/M/Y and M/D/Y forms. Ambiguous dates follow the clock style: "AM"/"PM" in capitals is the
   * en-US style (M/D/Y), otherwise D/M/Y; an impossible month decides by itself. */
  const parsePrePlain = (text: string, dateOrder?: 'DMY' | 'MDY'): { at: string | null; author: string | null } => {
    const m = /^\s*\[([^\]]+)\]\s*(.*?)\s*:?\s*$/.exec(text ?? '');
    if (!m) return { at: null, author: null };
    const inner = m[1] ?? '';
    const authorRaw = (m[2] ?? '').replace(/:\s*$/, '').trim();
    const author = authorRaw.length > 0 ? authorRaw : null;
    const tm = /(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*([aApP]\.?\s?[mM]\.?)?/.exec(inner);
    const dm = /(\d{1,4})[/.-](\d{1,2})[/.-](\d{2,4})/.exec(inner);
    if (!tm || !dm) return { at: null, author };
    let hh = Number(tm[1]);
    const mm = Number(tm[2]);
    const ss = tm[3] ? Number(tm[3]) : 0;
    const ampm = tm[4] ? tm[4].replace(/[.\s]/g, '') : '';
    if (ampm) {
      const pm = /p/i.test(ampm);
      if (hh === 12) hh = pm ? 12 : 0;
      else if (pm) hh += 12;
    }
    const a = Number(dm[1]);
    const b = Number(dm[2]);
    let c = Number(dm[3]);
    let y: number, mo: number, d: number;
    if (a > 31) {
      y = a; mo = b; d = c; // Y-M-D
    } else {
      if (c < 100) c += 2000;
      y = c;
      let order = dateOrder ?? (ampm && ampm === ampm.toUpperCase() ? 'MDY' : 'DMY');
      if (a > 12 && b <= 12) order = 'DMY';
      else if (b > 12 && a <= 12) order = 'MDY';
      if (order === 'DMY') { d = a; mo = b; } else { mo = a; d = b; }
    }
    const date = new Date(y, mo - 1, d, hh, mm, ss, 0);
    if (Number.isNaN(date.getTime())) return { at: null, author };
    return { at: date.toISOString(), author };
  };

  /** "9:34 pm" / "13:52" → minutes into the day, for rows without data-pre-plain-text. */
  const parseClock = (t: string): { hh: number; mm: number } | null => {
    const tm = /^(\d{1,2})[:.](\d{2})\s*([aApP]\.?\s?[mM]\.?)?$/.exec(t.trim());
    if (!tm) return null;
    let hh = Number(tm[1]);
    const mm = Number(tm[2]);
    if (tm[3]) {
      const pm = /p/i.test(tm[3]);
      if (hh === 12) hh = pm ? 12 : 0;
      else if (pm) hh += 12;
    }
    return { hh, mm };
  };

  const ownerRow = (el: Element): Element => el.closest(S.anyRow!) ?? el;

  /** The data-id forms: `true|false_<chatJid>_<msgId>[_<author>]` (older) and a bare id (2026-04). */
  const parseDataId = (raw: string): { fromMe: boolean | null; chatJid: string | null; id: string; authorJid: string | null } => {
    const m = /^(true|false)_([^_]+@[^_]+)_([^_]+)(?:_(.+))?$/.exec(raw);
    if (m) return { fromMe: m[1] === 'true', chatJid: m[2] ?? null, id: m[3] ?? raw, authorJid: m[4] ?? null };
    return { fromMe: null, chatJid: null, id: raw, authorJid: null };
  };

  const inQuote = (el: Element): boolean => !!el.parentElement?.closest(S.quoted!);

  const mediaKindOf = (bubble: Element): MediaKind => {
    // A link preview's picture or label is not the message's media.
    const has = (sel: string): boolean => Array.from(bubble.querySelectorAll(sel)).some((e) => !inQuote(e) && !e.closest(S.linkPreview!));
    if (has(S.mediaVoice!)) return 'voice';
    if (has(S.mediaAudio!)) return 'audio';
    if (has(S.mediaVideo!)) return 'video';
    if (has(S.mediaSticker!)) return 'sticker';
    if (has(S.mediaLocation!)) return 'location';
    if (has(S.mediaDocument!)) return 'document';
    if (has(S.mediaContact!)) return 'contact';
    if (has(S.mediaImage!)) return 'image';
    const imgs = Array.from(bubble.querySelectorAll(S.image!)).filter((i) => !i.matches(S.emoji!) && !inQuote(i) && !i.closest(S.linkPreview!));
    if (imgs.some((i) => (Number(i.getAttribute('width')) || (i as HTMLImageElement).width || 0) > 64)) return 'image';
    return null;
  };

  const ackOf = (bubble: Element, direction: 'in' | 'out'): number => {
    if (direction === 'in') return 0;
    const icon = bubble.querySelector(S.ackIcon!);
    if (!icon) return 1;
    const name = icon.getAttribute('data-icon') ?? '';
    const label = (icon.getAttribute('aria-label') ?? '').toLowerCase();
    if (name === 'msg-time') return 0;
    if (name === 'msg-error') return -1;
    if (name === 'msg-check') return 1;
    if (label.includes('played')) return 4;
    if (name === 'msg-dblcheck-ack' || label.includes('read')) return 3;
    return 2;
  };

  /** The date a row without data-pre-plain-text belongs to: the nearest earlier row that has one. */
  const contextDate = (row: Element): Date | null => {
    let prev = row.previousElementSibling;
    while (prev) {
      const pp = prev.querySelector(S.prePlainText!);
      if (pp) {
        const at = parsePrePlain(pp.getAttribute('data-pre-plain-text') ?? '').at;
        if (at) return new Date(at);
      }
      prev = prev.previousElementSibling;
    }
    return null;
  };

  // ---- media, reactions, link previews, edits (issue 15) ----------------------------------

  const own = (bubble: Element, sel: string): Element[] => Array.from(bubble.querySelectorAll(sel)).filter((e) => !inQuote(e) && !e.closest(S.quoted!));

  /** "1.2 MB", "340 kB", "1,5 MB", "800 B" → bytes (binary units, as WhatsApp Web shows them). */
  const parseSize = (text: string): number | null => {
    const m = /(\d+(?:[.,]\d+)?)\s*(B|KB|kB|MB|GB)\b/.exec(text);
    if (!m) return null;
    const n = Number(m[1]!.replace(',', '.'));
    const mult: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
    return Math.round(n * (mult[m[2]!.toUpperCase()] ?? 1));
  };

  /** "0:37", "1:02:03" → ms. */
  const parseDuration = (text: string): number | null => {
    const m = /^(?:(\d+):)?(\d{1,2}):(\d{2})$/.exec(text.trim());
    if (!m) return null;
    return ((Number(m[1] ?? 0) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
  };

  const DOC_TYPES: Record<string, string> = {
    PDF: 'application/pdf', DOC: 'application/msword', DOCX: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    XLS: 'application/vnd.ms-excel', XLSX: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    PPT: 'application/vnd.ms-powerpoint', PPTX: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    TXT: 'text/plain', CSV: 'text/csv', ZIP: 'application/zip', RAR: 'application/vnd.rar', MP3: 'audio/mpeg', OGG: 'audio/ogg',
    M4A: 'audio/mp4', MP4: 'video/mp4', JPG: 'image/jpeg', JPEG: 'image/jpeg', PNG: 'image/png', WEBP: 'image/webp', GIF: 'image/gif',
  };

  const leafTexts = (root: Element): Element[] =>
    Array.from(root.querySelectorAll('*')).filter((e) => e.children.length === 0 && norm(e.textContent) !== '' && !e.closest('[aria-hidden="true"]'));

  const numAttr = (el: Element | null, name: string): number | null => {
    const v = Number(el?.getAttribute(name));
    return Number.isFinite(v) && v > 0 ? v : null;
  };
  const styleSize = (el: Element | null, prop: 'width' | 'height'): number | null => {
    const v = parseFloat((el as HTMLElement | null)?.style?.[prop] ?? '');
    return Number.isFinite(v) && v > 0 ? Math.round(v) : null;
  };

  /** The url(...) of a background-image style (a blurred preview). */
  const bgUrl = (el: Element): string | null => {
    const m = /url\(\s*["']?([^"')]+)["']?\s*\)/.exec((el as HTMLElement).style?.backgroundImage ?? '');
    return m ? m[1]! : null;
  };

  /** Where the page holds the file: the blob: source (full), else the blurred data: preview. */
  const mediaSources = (bubble: Element): { full: string | null; thumb: string | null; download: Element | null } => {
    const fullEl = own(bubble, S.mediaFullSource!).find((e) => !e.matches(S.emoji!)) ?? null;
    const full = fullEl?.getAttribute('src') ?? null;
    let thumb: string | null = null;
    for (const e of own(bubble, S.mediaThumbSource!)) {
      if (e.matches(S.emoji!) || e.closest(S.linkPreview!)) continue;
      const u = e.tagName === 'IMG' ? e.getAttribute('src') : bgUrl(e);
      if (u && u.startsWith('data:')) {
        thumb = u;
        break;
      }
    }
    if (!thumb) {
      const poster = own(bubble, S.mediaPoster!)[0]?.getAttribute('poster');
      if (poster && poster.startsWith('data:')) thumb = poster;
    }
    return { full, thumb, download: own(bubble, S.mediaDownloadButton!)[0] ?? null };
  };

  const mediaOf = (bubble: Element, kind: Exclude<MediaKind, null>): ExtractedMedia => {
    const media: ExtractedMedia = { kind, mimeType: null, fileName: null, size: null, width: null, height: null, durationMs: null, available: 'none', details: null };
    const src = mediaSources(bubble);
    const typed = own(bubble, 'video[type], audio[type], source[type], img[type]')[0]?.getAttribute('type') ?? null;
    if (typed) media.mimeType = typed;
    if (kind === 'location') {
      const link = own(bubble, S.locationLink!)[0] ?? null;
      const href = link?.getAttribute('href') ?? '';
      const m = /[?&](?:q|query|ll)=(-?\d+(?:\.\d+)?)(?:,|%2C)\s*(-?\d+(?:\.\d+)?)/i.exec(href) ?? /@(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)/.exec(href);
      const box = own(bubble, S.mediaLocation!)[0] ?? bubble;
      const lines = leafTexts(box).filter((e) => !e.closest(S.selectableText!)).map((e) => norm(e.textContent)).filter((t) => t && parseClock(t) === null);
      media.details = { latitude: m ? Number(m[1]) : null, longitude: m ? Number(m[2]) : null, name: lines[0] ?? null, address: lines[1] ?? null };
      return media;
    }
    if (kind === 'contact') {
      const box = own(bubble, S.mediaContact!)[0] ?? bubble;
      const nameEl = own(box, S.contactName!)[0] ?? null;
      const phones = own(bubble, S.contactPhone!).map((e) => (e.getAttribute('href') ?? '').replace(/^tel:/, '') || norm(e.textContent)).filter(Boolean);
      media.details = { name: nameEl ? nameEl.getAttribute('title') ?? (norm(nameEl.textContent) || null) : null, phones };
      return media;
    }
    // The visible box: its width/height attributes or style.
    const img = own(bubble, 'img, video').find((e) => !e.matches(S.emoji!)) ?? null;
    const box = own(bubble, `${S.mediaImage}, ${S.mediaVideo}, ${S.mediaSticker}`).find((e) => (e as HTMLElement).style?.width) ?? null;
    media.width = numAttr(img, 'width') ?? styleSize(box, 'width') ?? styleSize(img, 'width');
    media.height = numAttr(img, 'height') ?? styleSize(box, 'height') ?? styleSize(img, 'height');
    if (kind === 'voice' || kind === 'audio') {
      const slider = own(bubble, S.mediaSlider!)[0];
      const total = (slider?.getAttribute('aria-valuetext') ?? '').split('/')[1];
      media.durationMs = total ? parseDuration(total) : null;
      if (media.durationMs === null) {
        const d = own(bubble, S.mediaDuration!).map((e) => parseDuration(norm(e.textContent))).find((x) => x !== null);
        media.durationMs = d ?? null;
      }
    }
    if (kind === 'video') {
      const boxEl = own(bubble, S.mediaVideo!).find((e) => e.tagName !== 'VIDEO') ?? null;
      const d = boxEl ? leafTexts(boxEl).map((e) => parseDuration(norm(e.textContent))).find((x) => x !== null) : null;
      media.durationMs = d ?? null;
    }
    if (kind === 'document' || kind === 'audio') {
      const nameEl = own(bubble, S.documentName!)[0] ?? null;
      const fromTitle = /^Download\s+"?(.+?)"?$/i.exec(own(bubble, '[title^="Download" i]')[0]?.getAttribute('title') ?? '')?.[1] ?? null;
      media.fileName = (nameEl ? nameEl.getAttribute('title') ?? (norm(nameEl.textContent) || null) : null) ?? fromTitle;
      // "PDF • 2 pages • 1 MB": the type word and the size.
      const info = own(bubble, S.documentInfo!).map((e) => e.getAttribute('title') || norm(e.textContent)).find((t) => /•/.test(t) || parseSize(t) !== null) ?? '';
      media.size = parseSize(info);
      const type = /^\s*([A-Z0-9]{2,5})\s*•/.exec(info)?.[1] ?? /\.([A-Za-z0-9]{2,5})$/.exec(media.fileName ?? '')?.[1]?.toUpperCase() ?? null;
      if (!media.mimeType && type && DOC_TYPES[type]) media.mimeType = DOC_TYPES[type]!;
    }
    // Media not downloaded yet shows its size on the download arrow ("2 MB").
    if (media.size === null && src.download) media.size = parseSize(norm(src.download.closest('button, [role="button"]')?.textContent ?? src.download.textContent));
    // A document is offered for download by its card's button; other kinds by their blob: source.
    if (src.full) media.available = 'full';
    else if (kind === 'document' && src.download) media.available = 'full';
    else if (src.thumb) media.available = 'thumb';
    return media;
  };

  /** The chip's label: "reaction 👍. View reactions" → one; "Reactions 👍, ❤ 4 in total" → the emoji,
   * with counts only where the page tells them. ", including yours ❤" marks this account's own. */
  const reactionsOf = (bubble: Element): ExtractedReaction[] => {
    const chip = own(bubble, S.reactionButton!)[0];
    if (!chip) return [];
    let label = norm(chip.getAttribute('aria-label')).replace(/\.?\s*View reactions\.?$/i, '');
    let mineEmoji: string | null = null;
    let mineAll = false;
    for (const phrase of L.reactionMine ?? []) {
      const i = label.toLowerCase().indexOf(phrase.toLowerCase());
      if (i < 0) continue;
      const rest = label.slice(i + phrase.length).replace(/^[\s:]+/, '').trim();
      if (rest) mineEmoji = rest.split(/[\s,]+/)[0]!;
      else mineAll = true;
      label = label.slice(0, i).replace(/[\s,]+$/, '');
    }
    let items: { emoji: string; count: number | null }[] = [];
    const single = /^reaction\s+(.+)$/i.exec(label);
    const multi = /^reactions\s+(.+?)\s+(\d+)\s+in total$/i.exec(label);
    if (multi) {
      const tokens = multi[1]!.split(/\s*,\s*/).filter(Boolean);
      const counted = tokens.map((tk) => /^(\S+)\s+(\d+)$/.exec(tk));
      if (counted.every((c) => c)) items = counted.map((c) => ({ emoji: c![1]!, count: Number(c![2]) }));
      else items = tokens.map((tk) => ({ emoji: tk.split(/\s+/)[0]!, count: tokens.length === 1 ? Number(multi[2]) : null }));
    } else if (single) {
      items = [{ emoji: single[1]!.trim().split(/\s+/)[0]!, count: 1 }];
    } else return [];
    return items.map((r) => ({ ...r, mine: mineEmoji ? r.emoji === mineEmoji : mineAll && items.length === 1 }));
  };

  const isHost = (t: string): boolean => /^(?:[a-z0-9-]+\.)+[a-z]{2,}$/i.test(t);

  const linkPreviewOf = (bubble: Element): LinkPreview | null => {
    const card = own(bubble, S.linkPreview!)[0];
    if (!card) return null;
    const lines = Array.from(card.children).map((c) => norm(textOf(c))).filter(Boolean);
    let host: string | null = null;
    if (lines.length && isHost(lines[lines.length - 1]!)) host = lines.pop()!;
    const description = lines.length >= 2 ? lines.pop()! : null;
    const title = lines.length ? lines.pop()! : null;
    const cardLink = card.querySelector(S.link!)?.getAttribute('href') ?? null;
    const bodyLink = own(bubble, S.link!).find((a) => !a.closest(S.linkPreview!))?.getAttribute('href') ?? null;
    const url = cardLink ?? bodyLink;
    if (!host && url) {
      try {
        host = new URL(url).host;
      } catch {
        /* not a URL: no host */
      }
    }
    return { title, description, host, url };
  };

  /** "Edited" beside the time, outside the text and any quote. */
  const editedOf = (bubble: Element): boolean => {
    const words = (L.edited ?? []).map((w) => w.toLowerCase());
    return own(bubble, 'span, div').some((e) => e.children.length === 0 && !e.closest(S.selectableText!) && words.includes(norm(e.textContent).toLowerCase()));
  };

  const looksLikePhone = (t: string): boolean => /^\+?[\d\s().-]{7,}$/.test(t);

  const extractRow = (idEl: Element, chatWaId: string | null, shallow = false): ExtractedMessage | null => {
    // WhatsApp's ids never hold whitespace: anything else in a data-id is not a message's.
    const rawId = idEl.getAttribute('data-id')?.trim();
    if (!rawId || /\s/.test(rawId)) return null;
    const pid = parseDataId(rawId);
    const row = ownerRow(idEl);
    const bubble = idEl;
    const dirEl = idEl.matches(`${S.messageIn}, ${S.messageOut}`) ? idEl : idEl.querySelector(`${S.messageIn}, ${S.messageOut}`) ?? idEl.closest(`${S.messageIn}, ${S.messageOut}`);
    let direction: 'in' | 'out';
    if (dirEl) direction = dirEl.matches(S.messageOut!) ? 'out' : 'in';
    else direction = pid.fromMe ? 'out' : 'in';

    const recalled = !!bubble.querySelector(S.recalled!);
    const pp = Array.from(bubble.querySelectorAll(S.prePlainText!)).find((e) => !inQuote(e)) ?? null;
    const parsed = pp ? parsePrePlain(pp.getAttribute('data-pre-plain-text') ?? '') : { at: null, author: null };

    // Body: the message's own selectable text, never the quoted one.
    const texts = Array.from(bubble.querySelectorAll(S.selectableText!)).filter((e) => !inQuote(e) && !e.closest(S.quotedText!) && !e.closest(S.linkPreview!));
    const own = texts.filter((e) => !texts.some((o) => o !== e && o.contains(e)));
    let body = own.map((e) => textOf(e, true)).join('\n').trim();
    if (!body && recalled) {
      const holder = bubble.querySelector(S.recalled!)?.parentElement;
      body = holder ? norm(textOf(holder)) : '';
    }

    const mediaKind = recalled ? null : mediaKindOf(bubble);
    // A row with an id but nothing a person would call a message (a group member's name-and-number
    // row, an empty row) is not reported; a centred notice with words is the chat's system entry.
    let system: string | null = null;
    if (!pp && !body && !recalled && !mediaKind) {
      const words = leafTexts(bubble).map((e) => norm(textOf(e))).filter(Boolean);
      if (dirEl || words.length === 0 || words.some(looksLikePhone)) return null;
      system = norm(textOf(bubble));
      if (!system) return null;
    }
    // A bubble whose text, media and deletion mark are all gone (a half-rendered row) would be a
    // phantom message with nothing in it: skipped until it renders.
    if (system === null && !body && !recalled && !mediaKind) return null;
    if (system !== null) {
      return {
        waId: pid.id,
        chatWaId: chatWaId ?? pid.chatJid ?? '',
        direction: 'in',
        author: null,
        body: system,
        sentAt: (contextDate(row) ?? new Date()).toISOString(),
        ack: 0,
        mediaKind: null,
        quotedWaId: null,
        quotedBody: null,
        recalled: false,
        kind: 'system',
        media: null,
        reactions: [],
        linkPreview: null,
        edited: false,
      };
    }

    // Quoted message: its text, and the id of the row above whose text it starts (the page shows no id).
    let quotedBody: string | null = null;
    let quotedWaId: string | null = null;
    const q = shallow ? null : bubble.querySelector(S.quoted!);
    if (q) {
      const qt = q.querySelector(`${S.quotedText}, ${S.selectableText}`);
      quotedBody = norm(textOf(qt)).replace(/^["“]|["”]$/g, '') || null;
      // The quote's header names its author ("You" for one's own messages): it tells apart
      // earlier messages with the same text.
      const names = new Set<string>();
      q.querySelectorAll(S.quotedAuthor!).forEach((e) => {
        const txt = norm(e.textContent);
        if (txt) names.add(txt);
        const label = e.getAttribute('aria-label');
        if (label) names.add(norm(label.replace(/^Maybe /, '')));
      });
      const sameAuthor = (m: ExtractedMessage): boolean =>
        names.size === 0 || (names.has('You') && m.direction === 'out') || (m.author !== null && names.has(m.author));
      if (quotedBody) {
        const want = norm(quotedBody);
        const candidates: ExtractedMessage[] = [];
        let prev = row.previousElementSibling;
        while (prev) {
          const pidEl = prev.matches(S.messageId!) ? prev : prev.querySelector(S.messageId!);
          if (pidEl) {
            const m = extractRow(pidEl, chatWaId, true);
            if (m && m.body && norm(m.body).startsWith(want)) candidates.push(m);
            if (m && candidates[candidates.length - 1] === m && sameAuthor(m)) break;
          }
          prev = prev.previousElementSibling;
        }
        // Nearest earlier message with that text, by the quoted author when the header tells.
        quotedWaId = (candidates.find(sameAuthor) ?? candidates[0])?.waId ?? null;
      }
    }

    // Author: the one in data-pre-plain-text, else the group header name, else the id's author part.
    let author = parsed.author;
    if (!author) {
      const header = Array.from(bubble.querySelectorAll(S.authorName!)).find((e) => !inQuote(e));
      author = header ? norm(textOf(header)) || null : null;
    }
    if (!author && pid.authorJid) author = pid.authorJid;

    // Time: data-pre-plain-text, else the bubble's clock on the date of the nearest dated row above.
    let sentAt = parsed.at;
    if (!sentAt) {
      const clocks = Array.from(bubble.querySelectorAll(S.bubbleClock!)).filter((e) => !inQuote(e) && e.children.length === 0);
      const clock = clocks.map((e) => parseClock(norm(e.textContent))).find((c) => c) ?? null;
      const base = contextDate(row) ?? new Date();
      if (clock) base.setHours(clock.hh, clock.mm, 0, 0);
      sentAt = base.toISOString();
    }

    return {
      waId: pid.id,
      chatWaId: chatWaId ?? pid.chatJid ?? '',
      direction,
      author,
      body,
      sentAt,
      ack: ackOf(bubble, direction),
      mediaKind,
      quotedWaId,
      quotedBody,
      recalled,
      kind: mediaKind ? 'media' : 'text',
      media: mediaKind && !shallow ? mediaOf(bubble, mediaKind) : null,
      reactions: shallow ? [] : reactionsOf(bubble),
      linkPreview: shallow || recalled ? null : linkPreviewOf(bubble),
      edited: !recalled && editedOf(bubble),
    };
  };

  const messageIdEls = (): Element[] => {
    const rows = Array.from(document.querySelectorAll(S.messageRow!));
    const out: Element[] = [];
    for (const r of rows) {
      const el = r.matches(S.messageId!) ? r : r.querySelector(S.messageId!);
      if (el) out.push(el);
    }
    return out;
  };

  const extractMessages = (chatWaId: string | null): ExtractedMessage[] => {
    const out: ExtractedMessage[] = [];
    // A row rendered twice (WhatsApp's virtualised list can hold a stale copy while it recycles
    // rows) is one message: the first copy is kept.
    const seen = new Set<string>();
    for (const el of messageIdEls()) {
      const m = extractRow(el, chatWaId);
      if (m && !seen.has(m.waId)) {
        seen.add(m.waId);
        out.push(m);
      }
    }
    return out;
  };

  const chatJidFromMessages = (): string | null => {
    for (const el of messageIdEls()) {
      const p = parseDataId(el.getAttribute('data-id') ?? '');
      if (p.chatJid) return p.chatJid;
    }
    return null;
  };

  const rowPosition = (row: Element, i: number): number => {
    const t = (row as HTMLElement).style?.transform ?? '';
    const m = /translateY\((-?[\d.]+)px\)/.exec(t);
    if (m) return Number(m[1]);
    const parentT = (row.parentElement as HTMLElement | null)?.style?.transform ?? '';
    const pm = /translateY\((-?[\d.]+)px\)/.exec(parentT);
    return pm ? Number(pm[1]) : i;
  };

  const listView = (): 'main' | 'archived' | null =>
    document.querySelector(S.archivedHeader!) ? 'archived' : document.querySelector(S.chatList!) ? 'main' : null;

  const listVisibleChats = (): RawChatRow[] => {
    const rows = Array.from(document.querySelectorAll(S.chatRow!));
    const archived = listView() === 'archived';
    return rows.map((row, i) => {
      const titles = Array.from(row.querySelectorAll(S.chatTitle!));
      const title = titles[0]?.getAttribute('title') ?? norm(titles[0]?.textContent);
      const previewEl = row.querySelector(S.chatPreview!) ?? (titles.length > 1 ? titles[titles.length - 1]! : null);
      const preview = previewEl && previewEl !== titles[0] ? norm(previewEl.getAttribute('title') ?? textOf(previewEl)) || null : null;
      const badge = row.querySelector(S.chatUnread!);
      const unread = badge ? Number(/\d+/.exec(badge.getAttribute('aria-label') ?? badge.textContent ?? '')?.[0] ?? 1) : 0;
      const timeEl = row.querySelector(S.chatTime!);
      const timeText = timeEl ? norm(timeEl.textContent) || null : null;
      const dt = timeEl?.getAttribute('datetime') ?? timeEl?.querySelector(S.chatTimeDatetime!)?.getAttribute('datetime') ?? null;
      const tick = row.querySelector(S.ackIcon!);
      const previewAck = tick ? `${tick.getAttribute('data-icon') ?? ''}:${norm(tick.getAttribute('aria-label'))}` : null;
      return {
        title,
        preview,
        previewAck,
        timeText,
        lastMessageAt: dt,
        unreadCount: Number.isFinite(unread) ? unread : 0,
        position: rowPosition(row, i),
        selected: row.getAttribute('aria-selected') === 'true',
        pinned: !!row.querySelector(S.chatPinned!),
        muted: !!row.querySelector(S.chatMuted!),
        archived,
      };
    });
  };

  const centre = (el: Element): { x: number; y: number } => {
    const b = el.getBoundingClientRect();
    return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
  };

  const selectedRow = (): (RawChatRow & { x: number; y: number }) | null => {
    const rows = Array.from(document.querySelectorAll(S.chatRow!));
    const i = rows.findIndex((r) => r.getAttribute('aria-selected') === 'true');
    if (i < 0) return null;
    (rows[i] as HTMLElement).scrollIntoView({ block: 'nearest' });
    const read = listVisibleChats().find((r) => r.selected);
    const el = Array.from(document.querySelectorAll(S.chatRow!)).find((r) => r.getAttribute('aria-selected') === 'true');
    return read && el ? { ...read, ...centre(el) } : null;
  };

  const labelled = (selector: string, labels: string[], within?: string): { x: number; y: number; label: string } | null => {
    const scope: ParentNode = within ? document.querySelector(within) ?? document.createElement('div') : document;
    for (const el of Array.from(scope.querySelectorAll(selector))) {
      const label = [el.getAttribute('aria-label'), el.getAttribute('title'), norm(textOf(el))].find((l) => l && labels.some((w) => w.toLowerCase() === l.toLowerCase()));
      const b = el.getBoundingClientRect();
      if (label && b.width > 0 && b.height > 0) return { ...centre(el), label };
    }
    return null;
  };

  const openChatTitle = (): string | null => {
    const el = document.querySelector(S.mainHeaderTitle!);
    if (!el) return null;
    return el.getAttribute('title') ?? (norm(el.textContent) || null);
  };

  const openChatId = (): string | null => {
    const el = document.querySelector(S.mainChatId!);
    const id = el?.getAttribute('data-id')?.trim();
    return id && /^[^\s@]+@[a-z.]+$/.test(id) ? id : null;
  };

  const findChatRow = (title: string, position: number | null): Element | null => {
    let best: Element | null = null;
    let bestDist = Infinity;
    Array.from(document.querySelectorAll(S.chatRow!)).forEach((row, i) => {
      const t = row.querySelector(S.chatTitle!);
      if (!t || (t.getAttribute('title') ?? norm(t.textContent)) !== title) return;
      const dist = position === null ? 0 : Math.abs(rowPosition(row, i) - position);
      if (dist < bestDist) {
        best = row;
        bestDist = dist;
      }
    });
    return best;
  };

  const missingSelectors = (phase: string): string[] =>
    (required[phase] ?? []).filter((name) => {
      try {
        return document.querySelector(S[name]!) === null;
      } catch {
        return true;
      }
    });

  const chatOpen = (): boolean => document.querySelector(S.main!) !== null;

  const openChat = (): { title: string | null; id: string | null } => ({ title: openChatTitle(), id: openChatId() });

  // Same title as before is not the same chat: the header's id must change too.
  const chatShown = (title: string, prevTitle: string | null, prevId: string | null): boolean =>
    openChatTitle() === title && (prevTitle !== title || prevId === null || openChatId() !== prevId);

  const chatListToTop = (): void => {
    const pane = document.querySelector(S.chatList!);
    if (pane) pane.scrollTop = 0;
  };

  const messageIds = (): string[] => Array.from(document.querySelectorAll(`${S.messageRow} ${S.messageId}`)).map((e) => e.getAttribute('data-id') ?? '');

  const newOutgoing = (known: string[]): ExtractedMessage | null => {
    const els = Array.from(document.querySelectorAll(`${S.messageRow} ${S.messageId}`));
    for (let i = els.length - 1; i >= 0; i--) {
      const e = els[i]!;
      const id = e.getAttribute('data-id') ?? '';
      if (known.includes(id)) continue;
      const out = e.matches(S.messageOut!) || !!e.querySelector(S.messageOut!) || id.startsWith('true_');
      if (out) return extractRow(e, null);
    }
    return null;
  };

  const elById = (waId: string): Element | null =>
    Array.from(document.querySelectorAll(S.mainDataId!)).find((e) => {
      const d = e.getAttribute('data-id') ?? '';
      return d === waId || d.includes(`_${waId}`);
    }) ?? null;

  const messageById = (waId: string): ExtractedMessage | null => {
    const el = elById(waId);
    return el ? extractRow(el, null) : null;
  };

  const mediaSource = (waId: string, variant: 'thumb' | 'full'): { url: string } | { download: true } | null => {
    const el = elById(waId);
    if (!el) return null;
    const src = mediaSources(el);
    if (variant === 'thumb') return src.thumb ? { url: src.thumb } : null;
    if (src.full) return { url: src.full };
    return src.download && mediaKindOf(el) === 'document' ? { download: true } : null;
  };

  const clickDownload = (waId: string): boolean => {
    const el = elById(waId);
    const btn = el ? mediaSources(el).download : null;
    if (!btn) return false;
    (btn as HTMLElement).click();
    return true;
  };

  const acked = (waId: string): ExtractedMessage | null => {
    const el = elById(waId);
    if (!el) return null;
    const m = extractRow(el, null);
    return m && m.ack !== 0 ? m : null;
  };

  return {
    parsePrePlain,
    listVisibleChats,
    openChatTitle,
    openChatId,
    findChatRow,
    extractMessages,
    extractRow,
    chatJidFromMessages,
    missingSelectors,
    chatOpen,
    openChat,
    chatShown,
    chatListToTop,
    messageIds,
    newOutgoing,
    acked,
    messageById,
    mediaSource,
    clickDownload,
    listView,
    selectedRow,
    labelled,
  };
}

/** Selector names the self-check expects to match in each phase. */
export function requiredByPhase(): Record<string, SelectorName[]> {
  const out: Record<string, SelectorName[]> = { qr: [], ready: [], chat: [] };
  for (const [name, def] of Object.entries(SELECTORS)) {
    if (def.requiredWhen !== 'never') out[def.requiredWhen]!.push(name as SelectorName);
  }
  return out;
}

/** The source that installs the module as `window.__qn` (idempotent; also shims esbuild's __name,
 * which tsx inserts into serialised functions). */
export function pageModuleSource(): string {
  return (
    `globalThis.__name = globalThis.__name || ((f) => f);` +
    `window.__qn = (${pageModule.toString()})(${JSON.stringify(selectorMap())}, ${JSON.stringify(requiredByPhase())}, ${JSON.stringify(TEXT_LABELS)});`
  );
}

export const NAME_SHIM = 'globalThis.__name = globalThis.__name || ((f) => f);';

/** Installs the extraction module in the page now and on every later navigation. */
export async function installPageModule(page: Page): Promise<void> {
  const src = pageModuleSource();
  await page.evaluateOnNewDocument(src);
  await page.evaluate(src);
}

/** The window as the in-page routines of the other dom/ modules see it (the module installed). */
export type QnWindow = { __qn: PageApi };

type ApiName = keyof PageApi;
type ApiArgs<K extends ApiName> = PageApi[K] extends (...a: infer A) => unknown ? A : never;
type ApiResult<K extends ApiName> = PageApi[K] extends (...a: never[]) => infer R ? R : never;

/** Calls one function of the in-page module. */
export function inPage<K extends ApiName>(page: Page, name: K, ...args: ApiArgs<K>): Promise<ApiResult<K>> {
  return page.evaluate(
    (n: string, a: unknown[]) => (window as unknown as { __qn: Record<string, (...x: unknown[]) => unknown> }).__qn[n]!(...a),
    name,
    args,
  ) as Promise<ApiResult<K>>;
}

/** Polls one function of the in-page module until it answers something other than null or false. */
export async function untilInPage<K extends ApiName>(page: Page, timeoutMs: number, name: K, ...args: ApiArgs<K>): Promise<NonNullable<ApiResult<K>>> {
  const handle = await page.waitForFunction(
    (n: string, a: unknown[]) => (window as unknown as { __qn: Record<string, (...x: unknown[]) => unknown> }).__qn[n]!(...a) ?? false,
    { timeout: timeoutMs, polling: 25 },
    name,
    args,
  );
  try {
    return (await handle.jsonValue()) as NonNullable<ApiResult<K>>;
  } finally {
    await handle.dispose();
  }
}

/** Runs a page-side routine of another dom/ module (self-contained, like the module) with the
 * selectors as its first argument: those modules cannot import selectors.ts in the page either. */
export function runInPage<A extends unknown[], R>(page: Page, fn: (S: Record<string, string>, ...args: A) => R | Promise<R>, ...args: A): Promise<Awaited<R>> {
  return page.evaluate(fn as (...a: unknown[]) => R, selectorMap(), ...args) as Promise<Awaited<R>>;
}

export const extractMessagesIn = (page: Page, chatWaId: string | null): Promise<ExtractedMessage[]> => inPage(page, 'extractMessages', chatWaId);
export const listVisibleChatsIn = (page: Page): Promise<RawChatRow[]> => inPage(page, 'listVisibleChats');
export const openChatIdIn = (page: Page): Promise<string | null> => inPage(page, 'openChatId');
export const missingSelectorsIn = (page: Page, phase: string): Promise<string[]> => inPage(page, 'missingSelectors', phase);

/** Stable chat id from what the list shows when no jid is exposed: a phone number title becomes
 * `<digits>@c.us`, a name becomes `title:<name>`. */
export function chatIdFromTitle(title: string): { waId: string; phone: string | null } {
  const digits = title.replace(/[\s()+-]/g, '');
  if (/^\d{6,16}$/.test(digits) && /^[+\d\s()-]+$/.test(title)) return { waId: `${digits}@c.us`, phone: `+${digits}` };
  return { waId: `title:${title}`, phone: null };
}

/** Phone of a jid like 5511999990000@c.us. */
export function phoneFromJid(jid: string): string | null {
  const m = /^(\d{6,16})@(c\.us|s\.whatsapp\.net)$/.exec(jid);
  return m ? `+${m[1]}` : null;
}

