// The API's shapes (DESIGN.md "API shapes"): TypeBox schemas used by the routes for validation and
// serialisation, and the functions that turn database rows into them. SSE payloads use the same
// shapes, so a client renders a live event exactly like a fetched row.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Id = Type.Integer({ minimum: 1 });
const IsoTime = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const LabelShape = Type.Object({
  id: Id,
  name: Type.String(),
  color: Type.String(),
});
export type LabelOut = Static<typeof LabelShape>;

/** A team member as chats and messages name them (the name the team sees). */
export const MemberRefShape = Type.Object({ memberId: Type.String({ pattern: '^[0-9]{1,19}$' }), name: Type.String() });
export type MemberRef = Static<typeof MemberRefShape>;

export const ChatShape = Type.Object({
  id: Id,
  waId: Type.String(),
  /** The saved name of the chat's contact when there is one, else WhatsApp's. */
  name: Type.String(),
  /** WhatsApp's name for the chat, shown as a second line under a saved name. */
  waName: Type.String(),
  phone: Nullable(Type.String()),
  isGroup: Type.Boolean(),
  preview: Nullable(Type.String()),
  lastMessageAt: Nullable(IsoTime),
  unreadCount: Type.Integer({ minimum: 0 }),
  labels: Type.Array(LabelShape),
  stageId: Nullable(Id),
  contactId: Nullable(Id),
  /** The value of the chat's deal, in the business's currency; null when none was set. */
  dealValue: Nullable(Type.Number({ minimum: 0 })),
  /** As WhatsApp shows the chat: at the top of the list, notifications off, in the Archived list. */
  pinned: Type.Boolean(),
  muted: Type.Boolean(),
  archived: Type.Boolean(),
  /** Who works the chat; null: unassigned. */
  assignee: Nullable(MemberRefShape),
});
export type ChatOut = Static<typeof ChatShape>;

export const MEDIA_KINDS = ['image', 'video', 'audio', 'voice', 'document', 'sticker', 'location', 'contact'] as const;
export const MEDIA_STATES = ['pending', 'stored', 'failed', 'too_large'] as const;

export const MediaShape = Type.Object({
  /** GET /api/media/:id */
  id: Id,
  kind: Type.Union(MEDIA_KINDS.map((k) => Type.Literal(k))),
  mimeType: Nullable(Type.String()),
  size: Nullable(Type.Integer({ minimum: 0 })),
  fileName: Nullable(Type.String()),
  width: Nullable(Type.Integer()),
  height: Nullable(Type.Integer()),
  durationMs: Nullable(Type.Integer()),
  state: Type.Union(MEDIA_STATES.map((k) => Type.Literal(k))),
  /** GET /api/media/:id?thumb=1 answers an image. */
  hasThumb: Type.Boolean(),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  /** A location {latitude, longitude, name, address}; a contact card {name, phones}. */
  details: Nullable(Type.Record(Type.String(), Type.Unknown())),
});
export type MediaOut = Static<typeof MediaShape>;

export const ReactionShape = Type.Object({ emoji: Type.String(), count: Nullable(Type.Integer({ minimum: 0 })), mine: Type.Boolean() });

export const LinkPreviewShape = Type.Object({
  title: Nullable(Type.String()),
  description: Nullable(Type.String()),
  host: Nullable(Type.String()),
  url: Nullable(Type.String()),
});

export const MessageShape = Type.Object({
  id: Id,
  waId: Type.String(),
  chatId: Id,
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  author: Nullable(Type.String()),
  body: Type.String(),
  sentAt: IsoTime,
  ack: Type.Integer({ minimum: -1, maximum: 4 }),
  mediaKind: Nullable(Type.String()),
  /** Our id of the quoted message when we hold it. */
  quotedId: Nullable(Id),
  quotedBody: Nullable(Type.String()),
  recalled: Type.Boolean(),
  kind: Type.Union([Type.Literal('text'), Type.Literal('media'), Type.Literal('system')]),
  media: Nullable(MediaShape),
  reactions: Type.Array(ReactionShape),
  linkPreview: Nullable(LinkPreviewShape),
  editedAt: Nullable(IsoTime),
  /** The member who sent it from the CRM; null for incoming, for the phone's own and for system sends. */
  sentBy: Nullable(MemberRefShape),
});
export type MessageOut = Static<typeof MessageShape>;

/** A search result: the message, and the name its chat shows (the saved name, else WhatsApp's). */
export const SearchHitShape = Type.Composite([MessageShape, Type.Object({ chatName: Type.String() })]);
export type SearchHit = Static<typeof SearchHitShape>;

export const ContactShape = Type.Object({
  id: Id,
  waId: Type.String(),
  /** The saved name, else WhatsApp's. */
  name: Nullable(Type.String()),
  /** WhatsApp's display name. */
  waName: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  email: Nullable(Type.String()),
  company: Nullable(Type.String()),
  customFields: Type.Record(Type.String(), Type.String()),
  /** The pipeline stage of the contact's chat (a contact's stage lives on its chat). */
  stageId: Nullable(Id),
  chatId: Nullable(Id),
  /** The labels of the contact's chat (labels live on chats). */
  labels: Type.Array(LabelShape),
});
export type ContactOut = Static<typeof ContactShape>;

export const NoteShape = Type.Object({
  id: Id,
  chatId: Id,
  body: Type.String(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type NoteOut = Static<typeof NoteShape>;

export const StageOutcome = Type.Union([Type.Literal('won'), Type.Literal('lost'), Type.Null()], { description: 'a closing stage (won or lost), or null' });

export const StageShape = Type.Object({
  id: Id,
  name: Type.String(),
  position: Type.Integer(),
  color: Type.String(),
  outcome: StageOutcome,
  /** Chats in the stage, and the sum of their deal values (the column's totals). */
  chatCount: Type.Integer({ minimum: 0 }),
  dealTotal: Type.Number({ minimum: 0 }),
});
export type StageOut = Static<typeof StageShape>;

export const WaShape = Type.Object({
  state: Type.String(),
  qr: Nullable(Type.String()),
  since: IsoTime,
  detail: Nullable(Type.String()),
  cause: Nullable(Type.String({ description: 'why it is not READY, a stable code (slice/wa/types.ts WA_CAUSES)' })),
  lastLogout: Nullable(Type.Object({ at: IsoTime, by: Type.Union([Type.Literal('phone'), Type.Literal('user')]) })),
});

export function ListOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
}

// ---- row → shape ----------------------------------------------------------------------------------

export function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

interface MessageRowLike {
  id: string | number;
  wa_id: string;
  chat_id: string | number;
  direction: 'in' | 'out' | string;
  author: string | null;
  body: string;
  sent_at: Date | string;
  ack: number;
  media_kind: string | null;
  quoted_id?: string | number | null;
  quoted_body: string | null;
  recalled: boolean;
  kind?: string;
  reactions?: unknown;
  link_preview?: unknown;
  edited_at?: Date | string | null;
  sent_by_member_id?: string | null;
  sent_by_name?: string | null;
  /** The media row's columns, when the message has one (left join: md_id null otherwise). */
  md_id?: string | number | null;
  md_kind?: string | null;
  md_mime_type?: string | null;
  md_size?: string | number | null;
  md_file_name?: string | null;
  md_width?: number | null;
  md_height?: number | null;
  md_duration_ms?: number | null;
  md_sha256?: string | null;
  md_thumb_sha256?: string | null;
  md_state?: string | null;
  md_error_code?: string | null;
  md_error_message?: string | null;
  md_details?: unknown;
}

/** Kinds whose thumbnail sharp makes from the stored file itself. */
const THUMB_FROM_FILE = new Set(['image', 'sticker']);

function toMediaOut(r: MessageRowLike): MediaOut | null {
  if (r.md_id == null) return null;
  const state = (r.md_state ?? 'pending') as MediaOut['state'];
  return {
    id: Number(r.md_id),
    kind: r.md_kind as MediaOut['kind'],
    mimeType: r.md_mime_type ?? null,
    size: r.md_size == null ? null : Number(r.md_size),
    fileName: r.md_file_name ?? null,
    width: r.md_width ?? null,
    height: r.md_height ?? null,
    durationMs: r.md_duration_ms ?? null,
    state,
    hasThumb: r.md_thumb_sha256 != null || (state === 'stored' && r.md_sha256 != null && THUMB_FROM_FILE.has(r.md_kind ?? '')),
    error: r.md_error_code ? { code: r.md_error_code, message: r.md_error_message ?? r.md_error_code } : null,
    details: (r.md_details as Record<string, unknown> | null | undefined) ?? null,
  };
}

export function toMessageOut(r: MessageRowLike): MessageOut {
  return {
    id: Number(r.id),
    waId: r.wa_id,
    chatId: Number(r.chat_id),
    direction: r.direction === 'out' ? 'out' : 'in',
    author: r.author,
    body: r.body,
    sentAt: iso(r.sent_at)!,
    ack: Number(r.ack),
    mediaKind: r.media_kind,
    quotedId: r.quoted_id == null ? null : Number(r.quoted_id),
    quotedBody: r.quoted_body,
    recalled: r.recalled,
    kind: (r.kind ?? (r.media_kind ? 'media' : 'text')) as MessageOut['kind'],
    media: toMediaOut(r),
    reactions: Array.isArray(r.reactions) ? (r.reactions as MessageOut['reactions']) : [],
    linkPreview: (r.link_preview as MessageOut['linkPreview'] | undefined) ?? null,
    editedAt: iso(r.edited_at ?? null),
    sentBy: r.sent_by_member_id ? { memberId: r.sent_by_member_id, name: r.sent_by_name ?? '' } : null,
  };
}

interface ChatRowLike {
  id: string | number;
  wa_id: string;
  name: string;
  /** the contact's saved name, when the chat has a contact who has one */
  saved_name: string | null;
  phone: string | null;
  is_group: boolean;
  preview: string | null;
  last_message_at: Date | string | null;
  unread_count: number;
  stage_id: number | null;
  contact_id: string | number | null;
  deal_value: string | number | null;
  pinned: boolean;
  muted: boolean;
  archived: boolean;
  assignee_member_id?: string | null;
  assignee_name?: string | null;
}

export function toChatOut(r: ChatRowLike, labels: LabelOut[]): ChatOut {
  return {
    id: Number(r.id),
    waId: r.wa_id,
    name: r.saved_name ?? r.name,
    waName: r.name,
    phone: r.phone,
    isGroup: r.is_group,
    preview: r.preview,
    lastMessageAt: iso(r.last_message_at),
    unreadCount: r.unread_count,
    labels,
    stageId: r.stage_id,
    contactId: r.contact_id == null ? null : Number(r.contact_id),
    dealValue: r.deal_value == null ? null : Number(r.deal_value),
    pinned: r.pinned,
    muted: r.muted,
    archived: r.archived,
    assignee: r.assignee_member_id ? { memberId: r.assignee_member_id, name: r.assignee_name ?? '' } : null,
  };
}

// ---- opaque keyset cursors ------------------------------------------------------------------------

export function encodeCursor(parts: (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** null when the cursor is not one of ours (the route turns that into 400). */
export function decodeCursor(cursor: string, arity: number): (string | number | null)[] | null {
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(parts) || parts.length !== arity) return null;
    if (!parts.every((p) => p === null || typeof p === 'string' || typeof p === 'number')) return null;
    return parts as (string | number | null)[];
  } catch {
    return null;
  }
}
