// The attach button with its menu (Photos & videos / Document). The panel shown before sending is
// attach-panel.tsx, loaded when a file is picked.
import { useRef, useState } from 'react';

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
