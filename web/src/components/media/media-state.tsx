// What a bubble says about its file when the file is not simply there: uploading (a bar and
// Cancel), "Downloading…" while WhatsApp fetches it, or why it is missing, in words.
import type { Media } from '../../api/types.ts';
import { mediaStateWords } from '../../lib/error-words.ts';
import { UPLOAD_FAILED, useUpload } from './uploads.ts';

export function UploadProgress({ messageId }: { messageId: string }) {
  const upload = useUpload(messageId);
  if (!upload) return null;
  const pct = Math.round(upload.progress * 100);
  return (
    <span className="flex w-full items-center gap-2" onClick={(e) => e.stopPropagation()}>
      <span role="progressbar" aria-label="Uploading" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} data-testid="upload-progress" className="h-1.5 flex-1 overflow-hidden rounded-full bg-black/20">
        <span className="block h-full bg-brand-600" style={{ width: `${pct}%` }} />
      </span>
      <button type="button" data-testid="upload-cancel" onClick={upload.cancel} className="rounded px-1.5 text-xs font-medium text-stone-700 underline hover:bg-black/10">
        Cancel
      </button>
    </span>
  );
}

export function mediaProblem(media: Media): string | null {
  // An upload this tab made that the server refused: the reason is already in words.
  if (media.error?.code === UPLOAD_FAILED) return `Not sent. ${media.error.message}`;
  if (media.state === 'failed' || media.state === 'too_large') return mediaStateWords(media.state, media.error);
  if (media.error && media.state !== 'stored' && media.state !== 'pending') return mediaStateWords(media.state, media.error);
  return null;
}

/** Over a photo or video. */
export function MediaStateOverlay({ media, messageId }: { media: Media; messageId: string }) {
  const upload = useUpload(messageId);
  const problem = mediaProblem(media);
  if (upload) {
    return (
      <span className="absolute inset-x-0 bottom-0 bg-white/85 px-2 py-1.5">
        <UploadProgress messageId={messageId} />
      </span>
    );
  }
  if (media.state === 'pending') {
    return (
      <span data-testid="media-downloading" className="pointer-events-none absolute inset-0 flex items-center justify-center">
        <span className="rounded-full bg-black/60 px-3 py-1 text-xs text-white">Downloading…</span>
      </span>
    );
  }
  if (problem) {
    return (
      <span data-testid="media-problem" className="pointer-events-none absolute inset-0 flex items-center justify-center p-3 text-center">
        <span className="rounded-md bg-black/65 px-2.5 py-1.5 text-xs leading-4 text-white">{problem}</span>
      </span>
    );
  }
  return null;
}

/** Under a document, audio or voice note. */
export function MediaStateLine({ media, messageId }: { media: Media; messageId: string }) {
  const upload = useUpload(messageId);
  const problem = mediaProblem(media);
  if (upload) return <UploadProgress messageId={messageId} />;
  if (media.state === 'pending')
    return (
      <span data-testid="media-downloading" className="text-xs text-stone-500">
        Downloading…
      </span>
    );
  if (problem)
    return (
      <span data-testid="media-problem" className="text-xs text-red-700">
        {problem}
      </span>
    );
  return null;
}
