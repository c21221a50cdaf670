// A bubble's extras: the link preview card, the "Edited" tag with the earlier texts, and the centred
// system notices (joined, left, subject changed, security code changed).
import { useEffect, useState } from 'react';
import { listEdits } from '../../api/media.ts';
import type { LinkPreview, Message, MessageEdit } from '../../api/types.ts';
import { stampTime, timeOfDay } from '../../lib/dates.ts';
import { errorWords } from '../../lib/error-words.ts';

/** Only http(s) addresses become the card's link: anything else (javascript:, data:) stays text. */
export function safeWebUrl(raw: string | null | undefined): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

export function LinkPreviewCard({ preview }: { preview: LinkPreview }) {
  const href = safeWebUrl(preview.url);
  const host = preview.host || (href ? new URL(href).host : '');
  if (!preview.title && !preview.description && !host) return null;
  const inner = (
    <>
      {preview.title ? <span className="block text-[13px] font-medium text-stone-900 line-clamp-2">{preview.title}</span> : null}
      {preview.description ? <span className="block text-xs text-stone-600 line-clamp-2">{preview.description}</span> : null}
      {host ? <span className="block text-[11px] text-stone-500">{host}</span> : null}
    </>
  );
  const cls = 'mb-1 block rounded-md border-l-4 border-brand-500 bg-black/5 px-2 py-1.5';
  return href ? (
    <a data-testid="link-preview" href={href} target="_blank" rel="noopener noreferrer" className={`${cls} hover:bg-black/10`}>
      {inner}
    </a>
  ) : (
    <div data-testid="link-preview" className={cls}>
      {inner}
    </div>
  );
}

export function EditedTag({ message }: { message: Message }) {
  const [open, setOpen] = useState(false);
  const [edits, setEdits] = useState<{ items?: MessageEdit[]; error?: unknown } | null>(null);
  // Asked each time it opens for this version of the message: another edit may have come since.
  useEffect(() => {
    if (!open) return;
    const ctrl = new AbortController();
    setEdits(null);
    listEdits(message.id, ctrl.signal).then(
      (page) => setEdits({ items: page.items }),
      (error: unknown) => !ctrl.signal.aborted && setEdits({ error }),
    );
    return () => ctrl.abort();
  }, [open, message.id, message.editedAt]);
  const title = message.editedAt ? `Edited ${stampTime(message.editedAt)}` : 'Edited';
  return (
    <span className="relative">
      <button type="button" data-testid="edited-tag" title={title} aria-expanded={open} onClick={() => setOpen((o) => !o)} className="italic underline decoration-dotted hover:text-stone-700">
        Edited
      </button>
      {open ? (
        <span role="dialog" aria-label="Earlier versions" data-testid="edit-history" className="absolute right-0 bottom-5 z-30 block w-60 rounded-md bg-white p-2 text-left text-xs text-stone-700 shadow-lg" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <span className="mb-1 block font-medium text-stone-900">Earlier versions</span>
          {!edits ? (
            <span className="block text-stone-500">Loading…</span>
          ) : !edits.items ? (
            <span className="block text-red-700">{errorWords(edits.error).text}</span>
          ) : edits.items.length === 0 ? (
            <span className="block text-stone-500">No earlier text was kept.</span>
          ) : (
            <ol className="space-y-1">
              {edits.items.map((e, i) => (
                <li key={i} data-testid="edit-version" className="whitespace-pre-wrap break-words border-l-2 border-stone-200 pl-1.5">
                  {e.body}
                  <span className="block text-[10px] text-stone-500">replaced {timeOfDay(e.replacedAt)}</span>
                </li>
              ))}
            </ol>
          )}
        </span>
      ) : null}
    </span>
  );
}

export function SystemNotice({ message }: { message: Message }) {
  return (
    <div className="flex justify-center px-6 py-1">
      <p data-testid="system-notice" data-message-id={message.id} className="max-w-[80%] rounded-md bg-amber-50 px-3 py-1 text-center text-xs text-stone-700 shadow-sm">
        {message.body}
      </p>
    </div>
  );
}
