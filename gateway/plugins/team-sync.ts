// The slice keeps its own copy of the team (who may be assigned chats, round-robin, what agents
// see): PUT /internal/team with the slice's bearer token. The gateway's tables are the truth; this
// plugin pushes the whole team after every change, whenever the slice is seen RUNNING (it may
// have been created or restored since) and to every running slice when the gateway starts. A push
// that fails is logged and tried again on the next change or the next retry tick
// (TEAM_SYNC_RETRY_MS); it never fails the request that made the change. Every change also tells the account's open streams `team.updated` (the web refetches).
import fp from 'fastify-plugin';
import { memberNameOf } from './auth.ts';

export interface TeamBody {
  members: { id: string; name: string; role: 'owner' | 'admin' | 'agent'; available: boolean }[];
  settings: { roundRobin: boolean; agentsSeeOwnChatsOnly: boolean };
}

declare module 'fastify' {
  interface FastifyInstance {
    team: {
      /** The account's team or settings changed: tell its streams, push to its slice (in the background). */
      changed(accountId: string): void;
      /** Push now; true when the slice took it (or there is no running slice to tell). */
      sync(accountId: string): Promise<boolean>;
      /** Accounts whose last push failed and waits for a retry. */
      pending(): string[];
    };
  }
}

const PUSH_TIMEOUT_MS = 5_000;

export default fp(
  async (app) => {
    const log = app.log.child({ component: 'team-sync' });
    const failed = new Set<string>();
    /** one push per account at a time; a change meanwhile makes one more push after it */
    const inFlight = new Map<string, Promise<boolean>>();
    const again = new Set<string>();
    let closing = false;

    async function teamOf(accountId: string): Promise<TeamBody | null> {
      const account = await app.db.selectFrom('accounts').select(['round_robin', 'agents_see_own_chats_only']).where('id', '=', accountId).executeTakeFirst();
      if (!account) return null;
      const rows = await app.db
        .selectFrom('members')
        .innerJoin('users', 'users.id', 'members.user_id')
        .select(['members.id', 'members.role', 'members.available', 'users.name', 'users.email'])
        .where('members.account_id', '=', accountId)
        .orderBy('members.id')
        .execute();
      return {
        members: rows.map((m) => ({ id: String(m.id), name: memberNameOf(m), role: m.role, available: m.available })),
        settings: { roundRobin: account.round_robin, agentsSeeOwnChatsOnly: account.agents_see_own_chats_only },
      };
    }

    async function push(accountId: string): Promise<boolean> {
      const slice = await app.slices.forAccount(accountId);
      // No slice yet, or one not meant to run: onRunning pushes when it comes up.
      if (!slice || !slice.token || slice.desiredState !== 'running') return true;
      const body = await teamOf(accountId);
      if (!body) return true;
      const res = await fetch(`${slice.upstream}/internal/team`, {
        method: 'PUT',
        headers: { authorization: slice.authorization, 'content-type': 'application/json', 'x-request-id': `team-sync-${accountId}-${Date.now()}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`the slice answered ${res.status}`);
      return true;
    }

    async function attempt(accountId: string): Promise<boolean> {
      try {
        await push(accountId);
        failed.delete(accountId);
        return true;
      } catch (err) {
        failed.add(accountId);
        log.warn({ account: accountId, err: (err as Error).message }, 'team not pushed to the slice: retried later');
        return false;
      }
    }

    function sync(accountId: string): Promise<boolean> {
      const running = inFlight.get(accountId);
      if (running) {
        // What is pushed now may predate this change: one more push follows it (the promise covers both).
        again.add(accountId);
        return running;
      }
      const p: Promise<boolean> = attempt(accountId).then((ok) => {
        inFlight.delete(accountId);
        if (again.delete(accountId) && !closing) return sync(accountId);
        return ok;
      });
      inFlight.set(accountId, p);
      return p;
    }

    // What failed before this process started was never retried by it: every running slice once.
    app.addHook('onReady', (done) => {
      app.slices.all().then(
        (slices) => {
          for (const slice of slices) if (slice.desiredState === 'running' && slice.token && !closing) void sync(slice.accountId);
        },
        (err) => log.warn({ err: (err as Error).message }, 'team sync at start: slices not listed'),
      );
      done();
    });

    app.slices.onRunning((slice) => {
      if (!closing) void sync(slice.accountId);
    });

    const retry = setInterval(() => {
      for (const accountId of [...failed]) if (!inFlight.has(accountId)) void sync(accountId);
    }, app.config.TEAM_SYNC_RETRY_MS);
    retry.unref();

    app.addHook('onClose', async () => {
      closing = true;
      clearInterval(retry);
      await Promise.allSettled([...inFlight.values()]);
    });

    app.decorate('team', {
      changed(accountId: string) {
        app.events.publish(accountId, 'team.updated', {});
        if (!closing) void sync(accountId);
      },
      sync,
      pending: () => [...failed],
    });
  },
  { name: 'team-sync', dependencies: ['db', 'slice-lifecycle', 'events'] },
);
