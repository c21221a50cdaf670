// The message composer: Enter sends, Shift+Enter makes a new line. Grows with its text.
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';

export function Composer({ onSend, disabled, placeholder = 'Type a message', autoFocus }: { onSend: (body: string) => void; disabled?: boolean; placeholder?: string; autoFocus?: boolean }) {
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

  return (
    <form
      className="flex items-end gap-2 border-t border-stone-200 bg-stone-50 px-3 py-2"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
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
        className="max-h-40 min-h-9 flex-1 resize-none rounded-lg border border-stone-200 bg-white px-3 py-2 text-sm leading-5 outline-none focus:border-brand-500"
      />
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
  );
}
