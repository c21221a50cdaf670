// The message composer: Enter sends, Shift+Enter makes a new line. Grows with its text. With
// `attach`, files come by the attach button or a pasted image and wait in a panel (preview, caption)
// until Send; a file the server would refuse is turned away here, with the reason.
import { lazy, Suspense, useEffect, useLayoutEffect, useRef, useState, type ClipboardEvent, type KeyboardEvent } from 'react';
import { AttachButton } from './media/attach.tsx';
import { VoiceRecorder } from './media/voice-recorder.tsx';

const AttachPanel = lazy(() => import('./media/attach-panel.tsx'));

export interface Attaching {
  /** The file waiting in the panel, or null. */
  file: File | null;
  /** Why the last file offered was turned away, or null. */
  problem: string | null;
  offer: (file: File) => void;
  cancel: () => void;
  send: (caption: string) => void;
  /** A voice note recorded here (audio/ogg), sent as a voice message. */
  sendVoice?: (file: File, durationMs: number) => void;
}

export function Composer({
  onSend,
  disabled,
  placeholder = 'Type a message',
  autoFocus,
  attach,
}: {
  onSend: (body: string) => void;
  disabled?: boolean;
  placeholder?: string;
  autoFocus?: boolean;
  attach?: Attaching;
}) {
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
  }, [text]);

  // Opening a chat puts the cursor here, as WhatsApp does.
  useEffect(() => {
    if (autoFocus) ref.current?.focus({ preventScroll: true });
  }, [autoFocus]);

  const send = () => {
    const body = text.trim();
    if (!body || disabled) return;
    onSend(body);
    setText('');
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };

  const onPaste = (e: ClipboardEvent<HTMLTextAreaElement>) => {
    if (!attach) return;
    const file = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
    if (!file) return;
    e.preventDefault();
    attach.offer(file);
  };

  if (attach?.file) {
    return (
      <Suspense fallback={<div className="h-28 border-t border-stone-200 bg-stone-50" />}>
        <AttachPanel file={attach.file} onCancel={attach.cancel} onSend={attach.send} />
      </Suspense>
    );
  }

  return (
    <>
      {attach?.problem ? (
        <p role="alert" data-testid="attach-error" className="border-t border-red-100 bg-red-50 px-4 py-1.5 text-xs text-red-800">
          {attach.problem}
        </p>
      ) : null}
      <form
        className="flex items-end gap-2 border-t border-stone-200 bg-stone-50 px-3 py-2"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        {attach ? <AttachButton onPick={attach.offer} disabled={disabled} /> : null}
        <textarea
          ref={ref}
          data-testid="composer"
          aria-label="Message"
          rows={1}
          value={text}
          placeholder={placeholder}
          disabled={disabled}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          className="max-h-40 min-h-9 flex-1 resize-none rounded-lg border border-stone-200 bg-white px-3 py-2 text-sm leading-5 outline-none focus:border-brand-500"
        />
        {attach?.sendVoice && !text.trim() ? <VoiceRecorder onRecorded={attach.sendVoice} disabled={disabled} /> : null}
        <button
          type="submit"
          aria-label="Send"
          data-testid="send"
          disabled={disabled || !text.trim()}
          className="inline-flex size-9 items-center justify-center rounded-full bg-brand-600 text-white hover:bg-brand-700 disabled:bg-stone-300"
        >
          <svg viewBox="0 0 20 20" className="size-4" fill="currentColor" aria-hidden>
            <path d="M2.5 2.8l15 7.2-15 7.2 2-7.2-2-7.2zm2.9 6.2l-1 3.9L13.3 10 4.4 7.1z" />
          </svg>
        </button>
      </form>
    </>
  );
}
