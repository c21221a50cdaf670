// The contact records: the paged list (searched by name, WhatsApp's name, phone, email, company),
// and the record behind a chat.
import { api } from './http.ts';
import { mapPage, toContact } from './normalise.ts';
import type { Chat, Contact, Page } from './types.ts';

export const CONTACT_PAGE_SIZE = 50;

export async function listContacts(q: string, cursor: string | null, signal?: AbortSignal, limit = CONTACT_PAGE_SIZE): Promise<Page<Contact>> {
  const page = await api<Page<unknown>>('/api/contacts', { query: { cursor, limit, q: q.trim() || undefined }, signal });
  return mapPage(page, toContact);
}

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
