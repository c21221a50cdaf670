// Sending a file from the conversation: checked first (nothing leaves for a file the server would
// refuse), shown at once as a pending bubble with its progress and Cancel, replaced by the server's
// message, or marked failed with the reason.
import { useCallback, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { keys } from '../../api/keys.ts';
import { sendFile } from '../../api/media.ts';
import type { Media, Message } from '../../api/types.ts';
import { addMessage, removeMessage, updateMessage, type Pages } from '../../events/cache.ts';
import { errorWords } from '../../lib/error-words.ts';
import { fileProblem, kindOfFile } from '../../lib/file-checks.ts';
import { showPending } from '../../events/pending.ts';
import type { Attaching } from '../composer.tsx';
import { endUpload, setUploadProgress, startUpload, UPLOAD_FAILED } from './uploads.ts';

let uploadSeq = 0;

export function useAttaching(chatId: string, onPending: () => void): Attaching & { error: unknown } {
  const qc = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const offer = useCallback((f: File) => {
    const why = fileProblem(f);
    setProblem(why);
    setFile(why ? null : f);
  }, []);
  const cancel = useCallback(() => {
    setFile(null);
    setProblem(null);
  }, []);

  const upload = useCallback(
    (f: File, caption: string, voice: { durationMs: number } | null) => {
      setError(null);
      const pendingId = `pending:file:${++uploadSeq}`;
      const kind = kindOfFile(f, voice !== null);
      const media: Media = { id: 0, kind, mimeType: f.type || null, size: f.size, fileName: f.name, width: null, height: null, durationMs: voice?.durationMs ?? null, state: 'stored', hasThumb: false, error: null, details: null };
      const pending: Message = { id: pendingId, chatId, direction: 'out', author: null, body: caption, sentAt: new Date().toISOString(), ack: 0, mediaKind: kind, quotedId: null, kind: 'media', media, reactions: [], linkPreview: null, editedAt: null };
      const setMessages = (fn: (d: Pages<Message> | undefined) => Pages<Message> | undefined) => qc.setQueryData<Pages<Message>>(keys.messages(chatId), fn);
      showPending(qc, pending);
      onPending();
      const ctrl = new AbortController();
      const localUrl = kind === 'image' && typeof URL.createObjectURL === 'function' ? URL.createObjectURL(f) : null;
      startUpload(pendingId, { progress: 0, cancel: () => ctrl.abort(), localUrl });
      sendFile(chatId, f, f.name, caption, { voice: voice !== null, signal: ctrl.signal, onProgress: (p) => setUploadProgress(pendingId, p) })
        .then((msg) => setMessages((d) => addMessage(d, msg, pendingId)))
        .catch((err: unknown) => {
          if ((err as Error)?.name === 'AbortError') {
            setMessages((d) => removeMessage(d, pendingId));
            return;
          }
          setError(err);
          setMessages((d) => updateMessage(d, { id: pendingId, ack: -1, media: { ...media, state: 'failed', error: { code: UPLOAD_FAILED, message: errorWords(err).text } } }));
        })
        .finally(() => endUpload(pendingId));
    },
    [chatId, qc, onPending],
  );

  const send = useCallback(
    (caption: string) => {
      if (!file) return;
      setFile(null);
      upload(file, caption, null);
    },
    [file, upload],
  );
  /** A recorded voice note goes at once, as WhatsApp sends them (no panel, no caption). */
  const sendVoice = useCallback(
    (f: File, durationMs: number) => {
      const why = fileProblem(f, true);
      setProblem(why);
      if (!why) upload(f, '', { durationMs });
    },
    [upload],
  );

  return { file, problem, offer, cancel, send, sendVoice, error };
}
