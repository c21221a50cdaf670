// Notes on a chat.
import { api } from './http.ts';
import { listItems } from './labels.ts';
import { toNote } from './normalise.ts';
import type { Note } from './types.ts';

export async function listNotes(chatId: string, signal?: AbortSignal): Promise<Note[]> {
  return listItems(await api<unknown[] | { items: unknown[] }>(`/api/chats/${encodeURIComponent(chatId)}/notes`, { signal })).map(toNote);
}

export async function createNote(chatId: string, body: string): Promise<Note> {
  return toNote(await api<unknown>(`/api/chats/${encodeURIComponent(chatId)}/notes`, { method: 'POST', body: { body } }));
}

export async function updateNote(id: string, body: string): Promise<Note> {
  return toNote(await api<unknown>(`/api/notes/${encodeURIComponent(id)}`, { method: 'PATCH', body: { body } }));
}

export function deleteNote(id: string): Promise<void> {
  return api<void>(`/api/notes/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
