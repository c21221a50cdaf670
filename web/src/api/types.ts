// The shapes of DESIGN.md "API shapes". Field names live here and in the per-resource modules only.

export type Role = 'user' | 'admin' | string;

export type WaState = 'STARTING' | 'QR' | 'AUTHENTICATING' | 'READY' | 'DISCONNECTED' | 'LOGGED_OUT' | 'FAILED';

export interface WaStatus {
  state: WaState;
  qr: string | null;
  since?: string | null;
  detail?: string | null;
}

export interface SliceSummary {
  id: number;
  state: string;
  health: unknown;
}

export interface Me {
  user: { id: string | number; email: string; role: Role };
  csrfToken: string;
  slice: SliceSummary | null;
  wa: WaStatus | null;
  plan: { status: string };
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
}

export interface Chat {
  id: string;
  name: string;
  phone: string | null;
  preview: string | null;
  lastMessageAt: string | null;
  unreadCount: number;
  labels: Label[];
  stageId: number | null;
  /** Present when the slice links the chat to a contact record. */
  contactId?: string | null;
  isGroup?: boolean;
  /** Who handles the chat (a later server version); absent or null: nobody. */
  assignee?: string | number | null;
  /** Muted chats make no sound and no notification (a later server version). */
  muted?: boolean;
}

/** -1 failed, 0 pending, 1 sent, 2 delivered, 3 read, 4 played. */
export type Ack = -1 | 0 | 1 | 2 | 3 | 4;

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
}

export interface Contact {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  company: string | null;
  customFields: Record<string, string>;
  stageId?: number | null;
  chatId?: string | null;
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
