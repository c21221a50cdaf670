// Pin, mute and archive a chat. Each is done on WhatsApp's page by the server, which can take a few
// seconds: the list shows the change at once and puts the old value back if WhatsApp refused it.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { setChatFlags, type ChatFlags } from '../api/chats.ts';
import type { Chat } from '../api/types.ts';
import { applyEvent } from '../events/apply.ts';
import { patchChat } from '../events/patch.ts';
import { ErrorLine } from './ui.tsx';

type Flag = 'pinned' | 'muted' | 'archived';

/** The flag change of one chat: optimistic in every cached list, reverted (only that flag) on error. */
export function useChatFlag(chatId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (flags: ChatFlags) => setChatFlags(chatId, flags),
    onMutate: (flags: ChatFlags) => {
      const before: ChatFlags = {};
      patchChat(qc, chatId, (c) => {
        for (const k of Object.keys(flags) as Flag[]) before[k] = !!c[k];
        return { ...c, ...flags };
      });
      return { before };
    },
    onError: (_err, _flags, ctx) => {
      if (ctx) patchChat(qc, chatId, (c) => ({ ...c, ...ctx.before }));
    },
    onSuccess: (chat: Chat) => applyEvent(qc, { type: 'chat.updated', data: chat }),
  });
}

export function flagActions(chat: Chat): Array<{ flag: Flag; label: string; value: boolean; testId: string }> {
  return [
    { flag: 'pinned', label: chat.pinned ? 'Unpin chat' : 'Pin chat', value: !chat.pinned, testId: 'action-pin' },
    { flag: 'muted', label: chat.muted ? 'Unmute' : 'Mute notifications', value: !chat.muted, testId: 'action-mute' },
    { flag: 'archived', label: chat.archived ? 'Unarchive chat' : 'Archive chat', value: !chat.archived, testId: 'action-archive' },
  ];
}

/** A menu button (ARIA menu pattern: arrows, Home/End, Escape returns to the button). */
export function ChatActionsMenu({ chat }: { chat: Chat }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const flag = useChatFlag(chat.id);
  const actions = flagActions(chat);

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const onDown = (e: MouseEvent) => {
      if (!menu.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open]);

  const close = (focusButton: boolean) => {
    setOpen(false);
    if (focusButton) button.current?.focus();
  };

  const onMenuKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    // The inbox's own keys (arrows move through chats, Esc closes the panel or the chat) must not
    // run as well: the menu has the keyboard while it is open.
    const move = (to: number) => {
      e.preventDefault();
      e.stopPropagation();
      items[(to + items.length) % items.length]?.focus();
    };
    if (e.key === 'ArrowDown') move(i + 1);
    else if (e.key === 'ArrowUp') move(i - 1);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(items.length - 1);
    else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    } else if (e.key === 'Tab') setOpen(false);
  };

  return (
    <div className="relative">
      <div className="flex items-center gap-1">
        {chat.pinned ? <PinIcon testId="conversation-pinned" /> : null}
        {chat.muted ? <MutedIcon testId="conversation-muted" /> : null}
        <button
          ref={button}
          type="button"
          data-testid="chat-actions"
          aria-haspopup="menu"
          aria-expanded={open}
          aria-label={`Actions for ${chat.name}`}
          onClick={() => setOpen((o) => !o)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown' && !open) {
              e.preventDefault();
              e.stopPropagation();
              setOpen(true);
            }
          }}
          className="rounded-md px-2 py-1 text-stone-600 hover:bg-stone-200"
        >
          <svg viewBox="0 0 20 20" className="size-5" fill="currentColor" aria-hidden>
            <circle cx="10" cy="4.5" r="1.6" />
            <circle cx="10" cy="10" r="1.6" />
            <circle cx="10" cy="15.5" r="1.6" />
          </svg>
        </button>
      </div>
      {open ? (
        <div
          ref={menu}
          role="menu"
          aria-label={`Actions for ${chat.name}`}
          data-testid="chat-actions-menu"
          onKeyDown={onMenuKey}
          className="absolute right-0 z-40 mt-1 w-52 rounded-md border border-stone-200 bg-white py-1 shadow-lg"
        >
          {actions.map((a) => (
            <button
              key={a.flag}
              type="button"
              role="menuitem"
              tabIndex={-1}
              data-testid={a.testId}
              onClick={() => {
                close(true);
                flag.mutate({ [a.flag]: a.value });
              }}
              className="block w-full px-3 py-1.5 text-left text-sm text-stone-800 hover:bg-stone-100 focus:bg-stone-100 focus:outline-none"
            >
              {a.label}
            </button>
          ))}
        </div>
      ) : null}
      {flag.error ? (
        <div className="absolute right-0 z-30 mt-1 flex w-72 items-start gap-2 rounded-md border border-red-200 bg-red-50 px-3 py-2 shadow">
          <ErrorLine error={flag.error} prefix="Not changed." testId="chat-action-error" className="text-xs" />
          <button type="button" aria-label="Dismiss" onClick={() => flag.reset()} className="ml-auto text-red-700 hover:text-red-900">
            ×
          </button>
        </div>
      ) : null}
    </div>
  );
}

export function PinIcon({ testId }: { testId?: string }) {
  return (
    <svg data-testid={testId} role="img" aria-label="Pinned" viewBox="0 0 20 20" className="size-3.5 shrink-0 text-stone-500" fill="currentColor">
      <path d="M12.6 2.3l5.1 5.1-1.4 1.4-.9-.5-3.2 3.2.3 3.6-1.4 1.4-3.2-3.2-4 4-1.1-1.1 4-4-3.2-3.2 1.4-1.4 3.6.3 3.2-3.2-.5-.9z" />
    </svg>
  );
}

export function MutedIcon({ testId }: { testId?: string }) {
  return (
    <svg data-testid={testId} role="img" aria-label="Muted" viewBox="0 0 20 20" className="size-3.5 shrink-0 text-stone-500" fill="none" stroke="currentColor" strokeWidth="1.7">
      <path d="M4 8h3l4-3.5v11L7 12H4z" fill="currentColor" stroke="none" />
      <path d="M13.5 7.5l4 5M17.5 7.5l-4 5" />
    </svg>
  );
}
