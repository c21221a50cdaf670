// Who is signed in and how their WhatsApp session is: shared hooks for the shell and screens.
import { useQuery } from '@tanstack/react-query';
import { SAAS } from './env.ts';
import { getMe } from './api/auth.ts';
import { getWa } from './api/wa.ts';
import { keys } from './api/keys.ts';
import { getSliceToken, isApiError } from './api/http.ts';
import type { WaStatus } from './api/types.ts';

export function useMe() {
  return useQuery({
    queryKey: keys.me,
    queryFn: ({ signal }) => getMe(signal),
    enabled: SAAS,
    retry: (count, err) => !isApiError(err) || (err.status >= 500 && count < 2),
    staleTime: 60_000,
  });
}

/**
 * The WhatsApp status. SaaS: from /api/me until the slice exists, then /api/wa; events keep both
 * fresh. `poll` adds a slow safety poll (the link screen uses it) in case an event is missed.
 */
export function useWaStatus(opts: { poll?: boolean } = {}) {
  const me = useMe();
  const hasSlice = SAAS ? !!me.data?.slice : !!getSliceToken();
  const wa = useQuery({
    queryKey: keys.wa,
    queryFn: ({ signal }) => getWa(signal),
    enabled: hasSlice,
    initialData: SAAS ? (me.data?.wa ?? undefined) : undefined,
    staleTime: 5_000,
    // Events carry every change; the poll only covers a stream that is not up yet (a slice still
    // starting) or a missed event.
    refetchInterval: (q) => {
      if (!opts.poll) return false;
      const s = q.state.data?.state;
      if (s === 'READY') return false;
      return !s || s === 'STARTING' || q.state.status === 'error' ? 2_000 : 15_000;
    },
    retry: 1,
  });
  const status: WaStatus | null = wa.data ?? (SAAS ? (me.data?.wa ?? null) : null);
  return { status, hasSlice, query: wa, me };
}

/**
 * WhatsApp is not linked yet (no slice, or a session that never reached READY) and a request failed
 * or came back empty because of it: screens show a "Link WhatsApp" empty state, not a red error.
 */
export function useNotLinked(error: unknown, empty = false): boolean {
  const { status, hasSlice } = useWaStatus();
  if (isApiError(error, 'SLICE_NOT_CONNECTED')) return true;
  if (!error && !empty) return false;
  // Syncing, or a linked phone gone offline, is not "not linked".
  return !hasSlice || !status || status.state === 'QR' || status.state === 'STARTING' || status.state === 'LOGGED_OUT';
}

/** The signed-in member (SaaS): id and role; both null self-hosted or outside any account. */
export function useMember() {
  const me = useMe();
  const member = me.data?.member ?? null;
  return { id: member ? String(member.id) : null, role: member?.role ?? null, name: member?.name ?? null, me };
}
