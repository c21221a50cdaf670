// The contact record behind a chat.
import { api } from './http.ts';
import type { Chat, Contact } from './types.ts';

/** The chat's contact id: its contactId when the slice gives one, else the chat's own id. */
export function contactIdOf(chat: Pick<Chat, 'id' | 'contactId'>): string {
  return chat.contactId ?? chat.id;
}

export function getContact(id: string, signal?: AbortSignal): Promise<Contact> {
  return api<Contact>(`/api/contacts/${encodeURIComponent(id)}`, { signal });
}

export type ContactPatch = Partial<Pick<Contact, 'name' | 'email' | 'company' | 'customFields' | 'stageId'>>;

export function updateContact(id: string, patch: ContactPatch): Promise<Contact> {
  return api<Contact>(`/api/contacts/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
}
