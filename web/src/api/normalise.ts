// The slice sends numeric ids; the app keys everything (routes, caches) by string ids. Every chat,
// message, contact and note entering the app — fetched or from an event — passes through here.
import type { Chat, Contact, Message, Note } from './types.ts';

type Raw = Record<string, unknown>;
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function toChat(raw: unknown): Chat {
  const r = raw as Raw;
  return { ...(r as unknown as Chat), id: str(r.id), contactId: strOrNull(r.contactId), labels: (r.labels as Chat['labels']) ?? [], unreadCount: Number(r.unreadCount ?? 0), stageId: (r.stageId as number | null) ?? null };
}

export function toMessage(raw: unknown): Message {
  const r = raw as Raw;
  return { ...(r as unknown as Message), id: str(r.id), chatId: str(r.chatId), quotedId: strOrNull(r.quotedId) };
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
