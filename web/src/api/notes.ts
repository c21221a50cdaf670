// Notes on a chat.
import { api } from './http.ts';
import { listItems } from './labels.ts';
import type { Note } from './types.ts';

export async function listNotes(chatId: string, signal?: AbortSignal): Promise<Note[]> {
  return listItems(await api<Note[] | { items: Note[] }>(`/api/chats/${encodeURIComponent(chatId)}/notes`, { signal }));
}

export function createNote(chatId: string, body: string): Promise<Note> {
  return api<Note>(`/api/chats/${encodeURIComponent(chatId)}/notes`, { method: 'POST', body: { body } });
}

export function updateNote(id: string, body: string): Promise<Note> {
  return api<Note>(`/api/notes/${encodeURIComponent(id)}`, { method: 'PATCH', body: { body } });
}

export function deleteNote(id: string): Promise<void> {
  return api<void>(`/api/notes/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
