// Attaching a file: the button with its menu (Photos & videos / Document), and the panel shown
// before sending (the picture or the file's card, a caption, Send and Cancel).
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { documentType, formatSize } from '../../lib/media-format.ts';
import { kindOfFile } from '../../lib/file-checks.ts';

export function AttachButton({ onPick, disabled }: { onPick: (file: File) => void; disabled?: boolean }) {
  const [open, setOpen] = useState(false);
  const photos = useRef<HTMLInputElement>(null);
  const docs = useRef<HTMLInputElement>(null);
  const pick = (input: HTMLInputElement | null) => {
    setOpen(false);
    input?.click();
  };
  const onChange = (e: React.ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = ''; // the same file may be picked again after a Cancel
    if (file) onPick(file);
  };
  return (
    <div className="relative" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <button
        type="button"
        data-testid="attach"
        aria-label="Attach a file"
        aria-haspopup="menu"
        aria-expanded={open}
        disabled={disabled}
        onClick={() => setOpen((o) => !o)}
        className="inline-flex size-9 items-center justify-center rounded-full text-stone-600 hover:bg-stone-200 disabled:text-stone-300"
      >
        <svg viewBox="0 0 20 20" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden>
          <path d="M14.5 9.5l-5.2 5.2a3.2 3.2 0 0 1-4.5-4.5l6-6a2.1 2.1 0 0 1 3 3l-6 6a1 1 0 0 1-1.5-1.5l5.3-5.3" />
        </svg>
      </button>
      {open ? (
        <div role="menu" aria-label="Attach" className="absolute bottom-11 left-0 z-30 w-48 rounded-md bg-white py-1 text-sm shadow-lg">
          <button type="button" role="menuitem" data-testid="attach-photos" onClick={() => pick(photos.current)} className="block w-full px-3 py-2 text-left hover:bg-stone-100">
            Photos &amp; videos
          </button>
          <button type="button" role="menuitem" data-testid="attach-document" onClick={() => pick(docs.current)} className="block w-full px-3 py-2 text-left hover:bg-stone-100">
            Document
          </button>
        </div>
      ) : null}
      <input ref={photos} type="file" accept="image/*,video/*" hidden data-testid="attach-photos-input" aria-label="Photos and videos" onChange={onChange} />
      <input ref={docs} type="file" hidden data-testid="attach-document-input" aria-label="Document" onChange={onChange} />
    </div>
  );
}

export function AttachPanel({ file, onSend, onCancel }: { file: File; onSend: (caption: string) => void; onCancel: () => void }) {
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
