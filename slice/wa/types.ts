// The contract between the WhatsApp side of a slice (wa/, sim/) and its store and API (store/,
// routes/). The WhatsApp side only reads the page's DOM and reports what a person would see; the
// store decides what is new. Neither side imports the other's internals: only this file.

export const WA_STATES = ['STARTING', 'QR', 'AUTHENTICATING', 'READY', 'DISCONNECTED', 'LOGGED_OUT', 'FAILED'] as const;
export type WaState = (typeof WA_STATES)[number];

export interface WaStatus {
  state: WaState;
  /** The current QR payload while state is QR, else null. */
  qr: string | null;
  since: string; // ISO time of the last state change
  /** Why, for DISCONNECTED / FAILED / LOGGED_OUT. */
  detail: string | null;
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
  deliverIncoming(message: { chatWaId: string; body: string; author?: string }): Promise<{ waId: string; sentAt: string }>;
  /** The recipient's phone reports delivery (2), read (3) or played (4) for an outgoing message. */
  ackOutgoing(waId: string, ack: number): Promise<void>;
  /** Breaks one named selector of the selector module in the page (a WhatsApp Web change). */
  removeSelector(name: string): Promise<void>;
  /** The user removes this linked device from the phone. */
  logoutFromPhone(): Promise<void>;
}
