// "New chat": a phone number, grouped as it is typed, opens (or finds) its chat. The number is checked
// here first so a typo is named at once; WhatsApp's own answer (not on WhatsApp) comes from the server.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { startChat } from '../api/chats.ts';
import type { Chat } from '../api/types.ts';
import { applyEvent } from '../events/apply.ts';
import { InputError } from '../lib/error-words.ts';
import { formatTyping, phoneDigits, phoneProblem } from '../lib/phone.ts';
import { Button, ErrorText } from './ui.tsx';

/** The next shown value: a deleted space or dash (nothing but grouping) takes the digit before it. */
export function nextTyped(previous: string, typed: string): string {
  const before = phoneDigits(previous);
  let digits = phoneDigits(typed);
  if (typed.length < previous.length && digits === before) digits = digits.slice(0, -1);
  if (/[^\d\s\-().+]/.test(typed)) return typed;
  return formatTyping(`+${digits}`);
}

export function NewChatForm({ onOpen, onCancel }: { onOpen: (chat: Chat) => void; onCancel: () => void }) {
  const qc = useQueryClient();
  const [value, setValue] = useState('+');
  const input = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const start = useMutation({
    mutationFn: (digits: string) => startChat(digits),
    onSuccess: (chat) => {
      // In the lists at once (a chat.updated event follows for other tabs).
      applyEvent(qc, { type: 'chat.updated', data: chat });
      onOpen(chat);
    },
  });
  useEffect(() => input.current?.focus(), []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const wrong = phoneProblem(value);
    if (wrong) {
      setProblem(new InputError(wrong));
      return;
    }
    setProblem(null);
    start.mutate(phoneDigits(value));
  };
  const error = problem ?? start.error;

  return (
    <form
      aria-label="New chat"
      data-testid="new-chat-form"
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onCancel();
        }
      }}
      className="space-y-2 rounded-lg border border-stone-200 bg-stone-50 p-2"
    >
      <label htmlFor="new-chat-phone" className="block text-xs font-medium text-stone-700">
        Phone number, country code first
      </label>
      <input
        ref={input}
        id="new-chat-phone"
        data-testid="new-chat-phone"
        type="tel"
        inputMode="tel"
        autoComplete="off"
        placeholder="+55 11 91234 5678"
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'new-chat-error' : undefined}
        onChange={(e) => {
          setValue((prev) => nextTyped(prev, e.target.value));
          setProblem(null);
          start.reset();
        }}
        className="w-full rounded-md border border-stone-300 bg-white px-2.5 py-1.5 text-sm outline-none focus:border-brand-500 focus:ring-2 focus:ring-brand-100"
      />
      {error ? (
        <p id="new-chat-error" role="alert" data-testid="new-chat-error" className="text-xs text-red-700">
          <ErrorText error={error} />
        </p>
      ) : null}
      <div className="flex justify-end gap-2">
        <Button variant="ghost" onClick={onCancel} data-testid="new-chat-cancel">
          Cancel
        </Button>
        <Button type="submit" data-testid="new-chat-start" disabled={start.isPending}>
          {start.isPending ? 'Opening…' : 'Start chat'}
        </Button>
      </div>
    </form>
  );
}
