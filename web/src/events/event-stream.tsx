// ONE EventSource per tab, feeding the query cache through applyEvent. Mounted once by the app
// shell while the user is signed in. EventSource resumes with Last-Event-ID on its own. A new
// message that asks for attention beeps and, when allowed, notifies (alerts.ts).
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { SAAS } from '../env.ts';
import { getSliceToken } from '../api/http.ts';
import { keys } from '../api/keys.ts';
import { applyEvent, EVENT_TYPES } from './apply.ts';
import { alertNewMessage } from './alerts.ts';
import { toMessage } from '../api/normalise.ts';

export type StreamStatus = 'connecting' | 'open' | 'reconnecting';

const StatusContext = createContext<StreamStatus>('connecting');
export const useStreamStatus = (): StreamStatus => useContext(StatusContext);

/** The chat the user has open (incoming messages there are not counted unread). */
let openChatId: string | null = null;
export function setOpenChat(id: string | null): void {
  openChatId = id;
}

function eventsUrl(): string {
  if (SAAS) return '/api/events';
  // EventSource cannot send headers: the self-hosted slice takes its token as a query parameter.
  const token = getSliceToken();
  return token ? `/events?token=${encodeURIComponent(token)}` : '/events';
}

/** `generation` reopens the stream when it changes (the user's slice appeared or changed). */
export function EventStream({ children, generation }: { children: ReactNode; generation?: string | number | null }) {
  const qc = useQueryClient();
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const hadError = useRef(false);
  const navigate = useNavigate();
  const navigateRef = useRef(navigate);
  navigateRef.current = navigate;

  useEffect(() => {
    let es: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;

    const open = () => {
      es = new EventSource(eventsUrl(), { withCredentials: true });
      es.onopen = () => {
        setStatus('open');
        if (hadError.current) {
          // Back after a gap the server could not replay from: refresh what is on screen.
          hadError.current = false;
          void qc.invalidateQueries({ queryKey: keys.wa });
        }
      };
      es.onerror = () => {
        hadError.current = true;
        setStatus('reconnecting');
        if (es && es.readyState === EventSource.CLOSED && !stopped) {
          // The browser gave up (an HTTP error such as 401): check the session, try again later.
          void qc.invalidateQueries({ queryKey: keys.me });
          retry = setTimeout(open, 5000);
        }
      };
      for (const type of EVENT_TYPES) {
        es.addEventListener(type, (e) => {
          let data: unknown;
          try {
            data = JSON.parse((e as MessageEvent<string>).data);
          } catch {
            return;
          }
          applyEvent(qc, { type, data }, { openChatId });
          if (type === 'chat.updated' || type === 'message.created') refreshUnreadCount();
          if (type === 'message.created') {
            alertNewMessage(qc, toMessage(data), { openChatId, openChat: (id) => navigateRef.current(`/inbox/${encodeURIComponent(id)}`) });
          }
        });
      }
    };
    // The slice's unread count and the Mine / Unassigned / All counts, asked again at most once a
    // second while events come.
    let countTimer: ReturnType<typeof setTimeout> | null = null;
    const refreshUnreadCount = () => {
      if (countTimer) return;
      countTimer = setTimeout(() => {
        countTimer = null;
        void qc.invalidateQueries({ queryKey: keys.unreadChats });
        void qc.invalidateQueries({ queryKey: keys.chatCounts });
      }, 1000);
    };
    open();
    return () => {
      stopped = true;
      if (countTimer) clearTimeout(countTimer);
      if (retry) clearTimeout(retry);
      es?.close();
    };
  }, [qc, generation]);

  return <StatusContext.Provider value={status}>{children}</StatusContext.Provider>;
}
