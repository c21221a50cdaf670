// The slice sends numeric ids; the app keys everything (routes, caches) by string ids. Every chat,
// message, contact and note entering the app — fetched or from an event — passes through here.
import type { Chat, Contact, Media, MemberRef, Message, MessageKind, Note } from './types.ts';

type Raw = Record<string, unknown>;
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** `{memberId, name}` or null; a bare id (older servers) keeps its id without a name. */
function toMemberRef(v: unknown): MemberRef | null {
  if (typeof v === 'string' || typeof v === 'number') return v === '' ? null : { memberId: str(v), name: '' };
  if (!v || typeof v !== 'object') return null;
  const r = v as Raw;
  if (r.memberId === undefined || r.memberId === null) return null;
  return { memberId: str(r.memberId), name: typeof r.name === 'string' ? r.name : '' };
}

export function toChat(raw: unknown): Chat {
  const r = raw as Raw;
  const chat: Chat = { ...(r as unknown as Chat), id: str(r.id), contactId: strOrNull(r.contactId), labels: (r.labels as Chat['labels']) ?? [], unreadCount: Number(r.unreadCount ?? 0), stageId: (r.stageId as number | null) ?? null };
  // An event may carry only some fields: an absent assignee stays absent (not "nobody").
  if ('assignee' in r) chat.assignee = toMemberRef(r.assignee);
  return chat;
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function toMedia(raw: unknown): Media | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Raw;
  const error = r.error && typeof r.error === 'object' ? (r.error as Media['error']) : null;
  return {
    id: Number(r.id ?? 0),
    kind: (r.kind as Media['kind']) ?? 'document',
    mimeType: strOrNull(r.mimeType),
    size: numOrNull(r.size),
    fileName: strOrNull(r.fileName),
    width: numOrNull(r.width),
    height: numOrNull(r.height),
    durationMs: numOrNull(r.durationMs),
    state: (r.state as Media['state']) ?? 'stored',
    hasThumb: r.hasThumb === true,
    error,
    details: r.details && typeof r.details === 'object' ? (r.details as Record<string, unknown>) : null,
  };
}

/** Servers from before issue 15 send no kind, media, reactions, preview or editedAt: the defaults say "none". */
export function toMessage(raw: unknown): Message {
  const r = raw as Raw;
  const media = toMedia(r.media);
  const mediaKind = strOrNull(r.mediaKind) ?? media?.kind ?? null;
  const kind: MessageKind = r.kind === 'text' || r.kind === 'media' || r.kind === 'system' ? r.kind : mediaKind ? 'media' : 'text';
  return {
    ...(r as unknown as Message),
    id: str(r.id),
    chatId: str(r.chatId),
    quotedId: strOrNull(r.quotedId),
    body: typeof r.body === 'string' ? r.body : '',
    mediaKind,
    kind,
    media,
    reactions: Array.isArray(r.reactions) ? (r.reactions as Message['reactions']) : [],
    linkPreview: r.linkPreview && typeof r.linkPreview === 'object' ? (r.linkPreview as Message['linkPreview']) : null,
    editedAt: strOrNull(r.editedAt),
    sentBy: toMemberRef(r.sentBy),
  };
}

export function toContact(raw: unknown): Contact {
  const r = raw as Raw;
  return { ...(r as unknown as Contact), id: str(r.id), customFields: (r.customFields as Record<string, string>) ?? {}, chatId: strOrNull(r.chatId) };
}

export function toNote(raw: unknown): Note {
  const r = raw as Raw;
  return { ...(r as unknown as Note), id: str(r.id), chatId: str(r.chatId) };
}

export function mapPage<T>(page: { items: unknown[]; nextCursor: string | null }, fn: (raw: unknown) => T): { items: T[]; nextCursor: string | null } {
  return { items: page.items.map(fn), nextCursor: page.nextCursor ?? null };
}
