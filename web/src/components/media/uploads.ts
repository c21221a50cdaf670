// Files being uploaded from this tab, by the pending message's id: the progress the bubble shows,
// the way to cancel, and a local preview of an image until the server's copy replaces it.
import { useSyncExternalStore } from 'react';

/** The code a failed upload's media carries: its message is already in words. */
export const UPLOAD_FAILED = 'UPLOAD_FAILED';

export interface Upload {
  progress: number;
  cancel: () => void;
  /** An object URL of the file itself, for images (revoked when the upload ends). */
  localUrl: string | null;
}

const uploads = new Map<string, Upload>();
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((fn) => fn());

export function startUpload(id: string, upload: Upload): void {
  uploads.set(id, upload);
  emit();
}

export function setUploadProgress(id: string, progress: number): void {
  const u = uploads.get(id);
  if (!u) return;
  uploads.set(id, { ...u, progress });
  emit();
}

/** The upload is over (sent, failed or cancelled): the local preview is let go. */
export function endUpload(id: string): void {
  const u = uploads.get(id);
  if (!u) return;
  uploads.delete(id);
  if (u.localUrl) URL.revokeObjectURL(u.localUrl);
  emit();
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function useUpload(id: string): Upload | undefined {
  return useSyncExternalStore(subscribe, () => uploads.get(id));
}
