// Media: the URLs of a stored file, sending a file (XMLHttpRequest, because fetch reports no upload
// progress), reactions and the history of an edited message.
import { api, ApiError, authHeaders, failure, NETWORK_ERROR_BODY } from './http.ts';
import { toMessage } from './normalise.ts';
import type { Message, MessageEdit, Page } from './types.ts';

export function mediaUrl(id: number, opts: { thumb?: boolean; download?: boolean } = {}): string {
  const base = `/api/media/${encodeURIComponent(String(id))}`;
  if (opts.thumb) return `${base}?thumb=1`;
  if (opts.download) return `${base}?download=1`;
  return base;
}

export interface SendFileOptions {
  /** A recorded voice note (audio/ogg): WhatsApp shows it as one, not as an audio file. */
  voice?: boolean;
  /** 0..1 as the bytes leave the browser. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export function sendFile(chatId: string, file: Blob, fileName: string, caption: string, opts: SendFileOptions = {}): Promise<Message> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new DOMException('The upload was cancelled.', 'AbortError'));
      return;
    }
    const form = new FormData();
    if (caption) form.append('caption', caption);
    if (opts.voice) form.append('voice', 'true');
    // The file goes last: the server streams it and reads the fields that came before it.
    form.append('file', file, fileName);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/chats/${encodeURIComponent(chatId)}/messages`);
    xhr.withCredentials = false; // same origin: the session cookie goes anyway, never to another site
    xhr.setRequestHeader('accept', 'application/json');
    for (const [k, v] of Object.entries(authHeaders('POST'))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) opts.onProgress?.(Math.min(1, e.loaded / e.total));
    };
    const onAbort = () => xhr.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => opts.signal?.removeEventListener('abort', onAbort);
    xhr.onload = () => {
      done();
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(toMessage(JSON.parse(xhr.responseText)));
        } catch {
          reject(new ApiError(xhr.status, { kind: 'Internal', code: 'INTERNAL', message: 'The server answered something that is not a message.' }));
        }
      } else reject(failure(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => {
      done();
      reject(new ApiError(0, NETWORK_ERROR_BODY));
    };
    xhr.onabort = () => {
      done();
      reject(new DOMException('The upload was cancelled.', 'AbortError'));
    };
    xhr.send(form);
  });
}

/** One emoji, or null to take one's reaction back; answers the message with the reactions as shown afterwards. */
export async function react(messageId: string, emoji: string | null): Promise<Message> {
  return toMessage(await api<unknown>(`/api/messages/${encodeURIComponent(messageId)}/reaction`, { method: 'PUT', body: { emoji } }));
}

/** The earlier texts of an edited message, oldest first. */
export async function listEdits(messageId: string, signal?: AbortSignal): Promise<Page<MessageEdit>> {
  const page = await api<Page<MessageEdit>>(`/api/messages/${encodeURIComponent(messageId)}/edits`, { signal });
  return { items: page.items ?? [], nextCursor: page.nextCursor ?? null };
}
