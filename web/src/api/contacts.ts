// The contact record behind a chat.
import { api } from './http.ts';
import { toContact } from './normalise.ts';
import type { Chat, Contact } from './types.ts';

/** The chat's contact record id; null for chats without one (groups). */
export function contactIdOf(chat: Pick<Chat, 'id' | 'contactId'>): string | null {
  return chat.contactId ?? null;
}

export async function getContact(id: string, signal?: AbortSignal): Promise<Contact> {
  return toContact(await api<unknown>(`/api/contacts/${encodeURIComponent(id)}`, { signal }));
}

export type ContactPatch = Partial<Pick<Contact, 'name' | 'email' | 'company' | 'customFields' | 'stageId'>>;

export async function updateContact(id: string, patch: ContactPatch): Promise<Contact> {
  return toContact(await api<unknown>(`/api/contacts/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch }));
}
