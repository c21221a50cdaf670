// The panel shown before sending a file (a lazy chunk): the picture or the file's card, a caption,
// Send and Cancel (Escape).
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { documentType, formatSize } from '../../lib/media-format.ts';
import { kindOfFile } from '../../lib/file-checks.ts';

export default function AttachPanel({ file, onSend, onCancel }: { file: File; onSend: (caption: string) => void; onCancel: () => void }) {
  const [caption, setCaption] = useState('');
  const kind = kindOfFile(file);
  const [preview, setPreview] = useState<string | null>(null);
  const captionRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (kind !== 'image' || typeof URL.createObjectURL !== 'function') return;
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file, kind]);
  useEffect(() => captionRef.current?.focus({ preventScroll: true }), []);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') onCancel();
  };
  return (
    <form
      data-testid="attach-panel"
      aria-label="Send a file"
      onKeyDown={onKeyDown}
      onSubmit={(e) => {
        e.preventDefault();
        onSend(caption.trim());
      }}
      className="flex flex-col gap-2 border-t border-stone-200 bg-stone-50 px-3 py-2"
    >
      <div className="flex items-center gap-3">
        {preview ? (
          <img data-testid="attach-preview" src={preview} alt={`Preview of ${file.name}`} className="size-20 rounded-md object-cover" />
        ) : (
          <span data-testid="attach-file-card" className="flex h-14 items-center gap-2 rounded-md bg-white px-3 text-sm shadow-sm">
            <span className="rounded bg-stone-500 px-1 text-[10px] font-bold text-white">{documentType({ mimeType: file.type || null, fileName: file.name }).slice(0, 4)}</span>
            <span className="max-w-56 truncate">{file.name}</span>
          </span>
        )}
        <span className="min-w-0 text-xs text-stone-600">
          <span className="block truncate">{file.name}</span>
          <span className="block">{formatSize(file.size)}</span>
        </span>
      </div>
      <div className="flex items-center gap-2">
        <input
          ref={captionRef}
          data-testid="attach-caption"
          aria-label="Caption"
          placeholder="Add a caption"
          maxLength={65536}
          value={caption}
          onChange={(e) => setCaption(e.target.value)}
          className="min-h-9 flex-1 rounded-lg border border-stone-200 bg-white px-3 py-2 text-sm outline-none focus:border-brand-500"
        />
        <button type="button" data-testid="attach-cancel" onClick={onCancel} className="rounded-md px-3 py-2 text-sm text-stone-700 hover:bg-stone-200">
          Cancel
        </button>
        <button type="submit" data-testid="attach-send" className="rounded-md bg-brand-600 px-3 py-2 text-sm font-medium text-white hover:bg-brand-700">
          Send
        </button>
      </div>
    </form>
  );
}
