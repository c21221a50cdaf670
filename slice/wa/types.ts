// The contract between the WhatsApp side of a slice (wa/, sim/) and its store and API (store/,
// routes/). The WhatsApp side only reads the page's DOM and reports what a person would see; the
// store decides what is new. Neither side imports the other's internals: only this file.

export const WA_STATES = ['STARTING', 'QR', 'AUTHENTICATING', 'READY', 'DISCONNECTED', 'LOGGED_OUT', 'FAILED'] as const;
export type WaState = (typeof WA_STATES)[number];

/**
 * Why the session is not READY, as a stable code the web app turns into words for a business
 * owner (`detail` carries the technical text, e.g. "cannot reach WhatsApp Web:
 * net::ERR_NAME_NOT_RESOLVED"). A closed set: add a code here and its words in web/src/lib/wa-state.ts.
 */
export const WA_CAUSES = [
  'unreachable', // WhatsApp Web cannot be reached: DNS, refused, no route, offline
  'tls', // a TLS / certificate error on the way to WhatsApp Web
  'timeout', // WhatsApp Web did not load in time
  'ready_timeout', // linked (authenticated) but the chats never became ready
  'page_hung', // the page stopped answering the probe
  'page_crashed', // the renderer died (killed, out of memory)
  'page_closed', // the page closed under us (during set-up or later)
  'detached_frame', // the page's frame was detached (navigation raced an action)
  'browser_crashed', // the browser process went away
  'memory_ceiling', // the browser grew past the watchdog's ceiling
  'escaped_error', // an error no one awaited reached the process handler
  'auth_failure', // WhatsApp refused the stored login
  'phone_unlinked', // the phone removed this linked device (LOGGED_OUT)
  'user_logout', // a member logged out from the CRM (LOGGED_OUT)
  'browser_missing', // Chromium is not installed where CHROMIUM_PATH says
  'start_failed', // anything else that stopped the browser or the library starting
] as const;
export type WaCause = (typeof WA_CAUSES)[number];

/** The last time this number was unlinked, kept (in the store) until it is READY again: the owner
 * is told, and the web app shows it, even when the QR already replaced the LOGGED_OUT state. */
export interface WaLogout {
  at: string; // ISO
  by: 'phone' | 'user';
}

export interface WaStatus {
  state: WaState;
  /** The current QR payload while state is QR, else null. */
  qr: string | null;
  since: string; // ISO time of the last state change
  /** Why, for DISCONNECTED / FAILED / LOGGED_OUT (technical text, shown as detail). */
  detail: string | null;
  /** Why, as a code (null when READY, QR, or nothing went wrong). */
  cause: WaCause | null;
  /** Set while the number stays unlinked after a logout; null once READY again. */
  lastLogout: WaLogout | null;
}

/** A row of the chat list as the page shows it. */
export interface ExtractedChat {
  /** Stable id: the chat's jid when the page exposes one, else derived from the title. */
  waId: string;
  name: string;
  phone: string | null;
  isGroup: boolean;
  preview: string | null;
  /** Time of the last message as shown, resolved to an ISO instant when possible. */
  lastMessageAt: string | null;
  unreadCount: number;
  /** As the list shows the row (a pin icon, a muted icon, read from the Archived list); absent:
   * not read this time, the stored value stays. */
  pinned?: boolean;
  muted?: boolean;
  archived?: boolean;
}

/** What a person can change about a chat from its row's menu. */
export interface ChatFlags {
  pinned: boolean;
  muted: boolean;
  archived: boolean;
}

export type MediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker' | 'location' | 'contact' | null;

/** text: a message with words (and maybe a link preview); media: it carries a file, a location or a
 * contact card (a caption is its body); system: a notice of the chat (joined, left, subject changed,
 * security code changed), shown centred, never as a bubble. */
export type MessageKind = 'text' | 'media' | 'system';

/** A reaction chip under a message as the page shows it. `count` is null when the page shows one
 * total for several emoji ("Reactions 👍, ❤ 4 in total") and does not say how they split. */
export interface ExtractedReaction {
  emoji: string;
  count: number | null;
  /** Whether one of them is this account's own. */
  mine: boolean;
}

/** A link preview card, kept apart from the body (never mixed into it). */
export interface LinkPreview {
  title: string | null;
  description: string | null;
  host: string | null;
  url: string | null;
}

/** What the page shows of a message's file (or location, or contact card). */
export interface ExtractedMedia {
  kind: Exclude<MediaKind, null>;
  mimeType: string | null;
  fileName: string | null;
  /** Bytes, as the page states it (a document card's "2 MB" is approximate); null when not shown. */
  size: number | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  /** What the page holds now: the whole file (a blob: or data: source, or a download it offers),
   * only a blurred thumbnail (WhatsApp has not downloaded it yet), or nothing to fetch (a location,
   * a contact card, or a file whose source is not shown yet). */
  available: 'full' | 'thumb' | 'none';
  /** A location: {latitude, longitude, name, address}; a contact card: {name, phones: string[]}. */
  details: Record<string, unknown> | null;
}

/** A message row of an open conversation as the page shows it. */
export interface ExtractedMessage {
  /** WhatsApp's message id from data-id (bare id or the packed form's id part): the dedup key. */
  waId: string;
  chatWaId: string;
  direction: 'in' | 'out';
  author: string | null;
  body: string;
  sentAt: string; // ISO
  /** -1 failed, 0 pending (clock), 1 sent, 2 delivered, 3 read, 4 played. */
  ack: number;
  mediaKind: MediaKind;
  quotedWaId: string | null;
  quotedBody: string | null;
  recalled: boolean;
  // The fields below are optional so that older reporters stay valid; absent means "not read this
  // time" and leaves what is stored as it is.
  /** Absent: 'media' when mediaKind is set, else 'text'. */
  kind?: MessageKind;
  media?: ExtractedMedia | null;
  /** Every chip under the bubble; [] when it shows none (reactions were taken back). */
  reactions?: ExtractedReaction[];
  linkPreview?: LinkPreview | null;
  /** The bubble says "Edited": a body that differs from the stored one is an edit (the old body
   * goes to the message's history). */
  edited?: boolean;
}

/** A downloaded file the WhatsApp side hands to the store: a thumbnail (what the page shows before
 * WhatsApp has the file) or the full file. */
export type MediaVariant = 'thumb' | 'full';

/** The state of a message's media in the store, as the API shows it. */
export type MediaState = 'pending' | 'stored' | 'failed' | 'too_large';

/**
 * The media store as the WhatsApp side sees it (implemented by the store). Downloads are written
 * by the WhatsApp side into `tempDir` (the store's own filesystem, so taking a file is a rename),
 * and only once the message row is committed (after `messages()` resolved).
 */
export interface MediaIntake {
  readonly tempDir: string;
  /** What the store holds of message `waId`'s media: nothing yet, the thumbnail only, the whole
   * file, or 'settled' (refused by quota or size, or failed for good: do not fetch again). */
  holding(waId: string): Promise<'none' | 'thumb' | 'full' | 'settled'>;
  /** Takes a file written in tempDir (moved into the store, or deleted when refused); answers the
   * media's state afterwards. The largest size accepted is `maxBytes(kind)`. */
  accept(waId: string, variant: MediaVariant, tempPath: string, info: { mimeType: string | null; fileName: string | null }): Promise<MediaState>;
  /** The page could not give the file (gone, or the download failed): the media is 'failed'. */
  failed(waId: string, reason: string): Promise<void>;
  /** Messages whose file the store still lacks (pending: nothing, or only the thumbnail), newest
   * first: WhatsApp Web decrypts a file only while its row is shown, so the WhatsApp side goes
   * back for these (a chat the initial sync passed too early, a slice killed mid-download). */
  missing(limit: number): Promise<{ waId: string; chatWaId: string }[]>;
  /** The largest file of this kind the store takes (a download may stop early past it). */
  maxBytes(kind: Exclude<MediaKind, null>): number;
}

/** A file the CRM sends: already in the media store (its path is readable by the browser). */
export interface OutgoingFile {
  path: string;
  kind: 'image' | 'video' | 'audio' | 'voice' | 'document';
  mimeType: string;
  fileName: string;
  size: number;
  /** The caption typed with it ('' for none). */
  caption: string;
}

export interface ExtractedContact {
  waId: string;
  name: string | null;
  phone: string | null;
}

/** What the WhatsApp side reports. The store implements it; calls are awaited (back-pressure). */
export interface WaSink {
  status(status: WaStatus): Promise<void> | void;
  chats(chats: ExtractedChat[]): Promise<void>;
  /** New or changed messages (ack updates arrive as the same waId with a new ack). */
  messages(messages: ExtractedMessage[]): Promise<void>;
  contacts(contacts: ExtractedContact[]): Promise<void>;
  /** Resume points for history backfill, kept in sync_state by the store. */
  loadSyncCursor(scope: string): Promise<Record<string, unknown> | null>;
  saveSyncCursor(scope: string, cursor: Record<string, unknown>, complete: boolean): Promise<void>;
  /** The media store's intake, for the files of reported messages. */
  readonly media: MediaIntake;
}

export interface WaHealth {
  state: WaState;
  browserPid: number | null;
  /** PSS (or RSS when PSS cannot be read) of the browser and all its children, bytes. */
  browserMemoryBytes: number | null;
  lastMessageSeenAt: string | null;
  /** Selectors of the versioned selector module that matched nothing at the last self-check. */
  missingSelectors: string[];
  selectorsVersion: string;
  restarts: number;
}

export interface WaSession {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): WaStatus;
  health(): Promise<WaHealth>;
  /** Types into the composer, presses Enter, waits for the bubble; resolves with its id and time. */
  sendMessage(chatWaId: string, body: string): Promise<{ waId: string; sentAt: string }>;
  /** Attaches a file through the composer's own file input, types the caption, sends, waits for
   * the bubble; resolves with its id and time (as sendMessage). */
  sendMedia(chatWaId: string, file: OutgoingFile): Promise<{ waId: string; sentAt: string }>;
  /** Reacts to a message with the page's reaction picker (emoji null: takes one's reaction back);
   * answers the message's chips as the page shows them afterwards. */
  react(chatWaId: string, messageWaId: string, emoji: string | null): Promise<ExtractedReaction[]>;
  markRead(chatWaId: string): Promise<void>;
  /** Pins, mutes or archives a chat (or undoes it) from its row's menu, and answers the row's
   * state read again afterwards; fails, naming what, when the page did not show the change. */
  setChatFlags(chatWaId: string, change: Partial<ChatFlags>): Promise<ChatFlags>;
  /** Starts a chat with a phone number (E.164) from "New chat", and answers it as the list shows it. */
  openChatByPhone(e164: string): Promise<ExtractedChat>;
  logout(): Promise<void>;
  /**
   * A fresh QR code when the one shown expired (WhatsApp Web's "Reload QR code"): the browser is
   * started again. Refused with WA_ALREADY_LINKED once the phone has scanned.
   */
  reloadQr(): Promise<void>;
  requestPairingCode(phoneNumber: string): Promise<string>;
}

/** Drives the simulated phone (WA_MODE=sim only). Every action goes through the simulator page,
 * so the real DOM path (observer, extraction) carries its effects to the sink. */
export interface SimControl {
  /** The phone scans the QR shown in the page. */
  scan(): Promise<void>;
  /** A message arrives from a contact; kept by the phone while the page is down. */
  deliverIncoming(message: SimIncoming): Promise<{ waId: string; sentAt: string }>;
  /** The other side reacts to a message (emoji null: takes its reaction back). */
  reactFromPhone(waId: string, emoji: string | null): Promise<void>;
  /** The other side edits its message. */
  editFromPhone(waId: string, body: string): Promise<void>;
  /** The other side deletes its message for everyone. */
  recallFromPhone(waId: string): Promise<void>;
  /** What the phone holds of a chat, as the other side sees it (bodies, media sha256, reactions). */
  phoneMessages(chatWaId: string): Promise<SimPhoneMessage[]>;
  /** The recipient's phone reports delivery (2), read (3) or played (4) for an outgoing message. */
  ackOutgoing(waId: string, ack: number): Promise<void>;
  /** Breaks one named selector of the selector module in the page (a WhatsApp Web change). */
  removeSelector(name: string): Promise<void>;
  /** The user removes this linked device from the phone. */
  logoutFromPhone(): Promise<void>;
  /** Test hook: provokes a fault (hang-page, detach-page: now; the others arm once, for the next page). */
  fault(name: SimFault): Promise<void>;
}

/** The faults the simulator can provoke (tests of the session's recovery, sim mode only). */
export const SIM_FAULTS = ['hang-page', 'detach-page', 'close-page-during-setup', 'never-ready'] as const;
export type SimFault = (typeof SIM_FAULTS)[number];

/** A message the simulated phone receives from the other side (POST /sim/incoming). */
export interface SimIncoming {
  chatWaId: string;
  body: string;
  author?: string;
  /** A file, location or contact card the other side sends; body is then its caption. */
  media?: {
    kind: Exclude<MediaKind, null>;
    mimeType: string;
    fileName?: string;
    dataBase64?: string;
    /** Shown as a blurred thumbnail first; the page gets the file this many ms later (0: at once). */
    downloadAfterMs?: number;
    details?: Record<string, unknown>;
  };
  quotedWaId?: string;
  /** A system notice of the chat instead of a message (joined, left, subject changed …). */
  system?: boolean;
}

/** A message as the simulated phone holds it (GET /sim/phone/messages). */
export interface SimPhoneMessage {
  waId: string;
  fromMe: boolean;
  body: string;
  sentAt: string;
  ack: number;
  kind: MessageKind;
  media: { kind: string; mimeType: string; fileName: string | null; size: number; sha256: string } | null;
  reactions: { emoji: string; fromMe: boolean }[];
  edited: boolean;
  recalled: boolean;
}
