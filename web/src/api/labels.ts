// Labels (the account's set; attaching to chats is in chats.ts).
import { api } from './http.ts';
import type { Label } from './types.ts';

/** Accepts either a bare array or a {items} list, whichever the slice answers. */
function items<T>(data: T[] | { items: T[] }): T[] {
  return Array.isArray(data) ? data : data.items;
}

export async function listLabels(signal?: AbortSignal): Promise<Label[]> {
  return items(await api<Label[] | { items: Label[] }>('/api/labels', { signal }));
}

export function createLabel(name: string, color: string): Promise<Label> {
  return api<Label>('/api/labels', { method: 'POST', body: { name, color } });
}

export function updateLabel(id: number, patch: Partial<Pick<Label, 'name' | 'color'>>): Promise<Label> {
  return api<Label>(`/api/labels/${id}`, { method: 'PATCH', body: patch });
}

export function deleteLabel(id: number): Promise<void> {
  return api<void>(`/api/labels/${id}`, { method: 'DELETE' });
}

export { items as listItems };
