// Pipeline stages.
import { api } from './http.ts';
import { listItems } from './labels.ts';
import type { Stage } from './types.ts';

export async function listStages(signal?: AbortSignal): Promise<Stage[]> {
  const stages = listItems(await api<Stage[] | { items: Stage[] }>('/api/stages', { signal }));
  return [...stages].sort((a, b) => a.position - b.position || a.id - b.id);
}

export function createStage(name: string): Promise<Stage> {
  return api<Stage>('/api/stages', { method: 'POST', body: { name } });
}

export function updateStage(id: number, patch: Partial<Pick<Stage, 'name' | 'color'>>): Promise<Stage> {
  return api<Stage>(`/api/stages/${id}`, { method: 'PATCH', body: patch });
}

export function deleteStage(id: number): Promise<void> {
  return api<void>(`/api/stages/${id}`, { method: 'DELETE' });
}

export function reorderStages(ids: number[]): Promise<unknown> {
  return api('/api/stages/order', { method: 'PUT', body: { ids } });
}
