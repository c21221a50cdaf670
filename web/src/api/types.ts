// The shapes of DESIGN.md "API shapes". Field names live here and in the per-resource modules only.
import type { ExtractedReaction, LinkPreview, WaCause } from '../../../slice/wa/types.ts';

export type { WaCause };

export type Role = 'user' | 'admin' | string;

export type WaState = 'STARTING' | 'QR' | 'AUTHENTICATING' | 'READY' | 'DISCONNECTED' | 'LOGGED_OUT' | 'FAILED';

export interface WaStatus {
  state: WaState;
  qr: string | null;
  since?: string | null;
  detail?: string | null;
  /** Why it is not READY, a stable code (slice/wa/types.ts WA_CAUSES); absent from older slices. */
  cause?: WaCause | null;
  /** The number was unlinked (from the phone or by a member) and not linked again since. */
  lastLogout?: { at: string; by: 'phone' | 'user' } | null;
}

export interface SliceSummary {
  id: number;
  state: string;
  health: unknown;
}

export type MemberRole = 'owner' | 'admin' | 'agent';

export interface AccountRef {
  id: string;
  name: string;
}

export interface Me {
  user: { id: string | number; email: string; role: Role; name?: string | null; businessName?: string | null; emailVerified?: boolean; totpEnabled?: boolean };
  /** The account this session works in; null (or absent, older servers) when none. */
  account?: AccountRef | null;
  member?: { id: string; role: MemberRole; name: string; available: boolean } | null;
  /** Every account the user is a member of, to switch between. */
  accounts?: Array<AccountRef & { role: MemberRole }>;
  csrfToken: string;
  slice: SliceSummary | null;
  wa: WaStatus | null;
  plan: { status: string };
}

export interface MemberRef {
  memberId: string;
  name: string;
}

export interface Label {
  id: number;
  name: string;
  color: string;
}

export interface Stage {
  id: number;
  name: string;
  position: number;
  color?: string;
  /** A closing stage (won or lost): new stages go before these. */
  outcome?: 'won' | 'lost' | null;
  /** The column's totals, counted by the server over every chat in the stage. */
  chatCount?: number;
  dealTotal?: number;
}

export interface Chat {
  id: string;
  /** The name the CRM shows: a saved contact name, else WhatsApp's. */
  name: string;
  /** WhatsApp's own name for the chat, shown as a second line when it differs. */
  waName?: string;
  /** The value of the chat's deal; null or absent when none was set. */
  dealValue?: number | null;
  phone: string | null;
  preview: string | null;
  lastMessageAt: string | null;
  unreadCount: number;
  labels: Label[];
  stageId: number | null;
  /** Present when the slice links the chat to a contact record. */
  contactId?: string | null;
  isGroup?: boolean;
  /** The member who handles the chat; null: nobody. A bare id is the shape before issue 16. */
  assignee?: MemberRef | string | number | null;
  /** Muted chats make no sound and no notification. */
  muted?: boolean;
  /** Pinned chats sit at the top of the list (the server orders them first). */
  pinned?: boolean;
  /** Archived chats are only in the Archived list. */
  archived?: boolean;
}

/** -1 failed, 0 pending, 1 sent, 2 delivered, 3 read, 4 played. */
export type Ack = -1 | 0 | 1 | 2 | 3 | 4;

export type MessageKind = 'text' | 'media' | 'system';
export type MediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker' | 'location' | 'contact';
export type MediaState = 'pending' | 'stored' | 'failed' | 'too_large';

export interface Media {
  /** The media row: GET /api/media/:id. 0 for a file still being uploaded from this tab. */
  id: number;
  kind: MediaKind;
  mimeType: string | null;
  size: number | null;
  fileName: string | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  state: MediaState;
  /** GET /api/media/:id?thumb=1 answers an image. */
  hasThumb: boolean;
  /** Why the file is not here (failed, too large, quota full), or why an upload failed. */
  error: { code: string; message: string } | null;
  /** location {latitude, longitude, name, address}; contact {name, phones}. */
  details: Record<string, unknown> | null;
}

// The same shapes the slice reads from WhatsApp's page and answers unchanged (api.md).
export type Reaction = ExtractedReaction;
export type { LinkPreview };

export interface MessageEdit {
  body: string;
  replacedAt: string;
}

export interface Message {
  id: string;
  chatId: string;
  direction: 'in' | 'out';
  author: string | null;
  body: string;
  sentAt: string;
  ack: number;
  mediaKind: string | null;
  quotedId: string | null;
  /** The quoted text, when the slice has it (the quoted message itself may not be loaded). */
  quotedBody?: string | null;
  recalled?: boolean;
  /** In search results: the name the message's chat shows. */
  chatName?: string;
  /** Always set by normalise.ts (older servers: from mediaKind). */
  kind?: MessageKind;
  media?: Media | null;
  reactions?: Reaction[];
  /** Kept apart from the body: WhatsApp's preview card of the first link. */
  linkPreview?: LinkPreview | null;
  editedAt?: string | null;
  /** The member who sent it from Queunir; null for incoming, phone-sent and system messages. */
  sentBy?: MemberRef | null;
}

export interface Contact {
  id: string;
  /** The saved name, else WhatsApp's. */
  name: string | null;
  /** WhatsApp's display name. */
  waName?: string | null;
  phone: string | null;
  email: string | null;
  company: string | null;
  customFields: Record<string, string>;
  stageId?: number | null;
  chatId?: string | null;
  /** The labels of the contact's chat, as the contact list answers them. */
  labels?: Label[];
}

export interface Note {
  id: string;
  chatId: string;
  body: string;
  createdAt: string;
  updatedAt?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
