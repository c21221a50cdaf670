// People for the team tests: users signed up through the routes (email verified in the database,
// as the verification link would), and members put into an account with a role.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { MemberRole } from '../../lib/acting-member.ts';
import { createDb } from '../../sql/database.ts';
import { Browser, build, startDb } from './helpers.ts';

/** This file's database, an admin connection to it, the app, and (listen) its real HTTP address. */
export async function startTeamTest(
  t: { teardown(fn: () => unknown): void },
  name: string,
  env: Record<string, string>,
  options: { listen?: boolean } = {},
): Promise<{ db: Awaited<ReturnType<typeof startDb>>; admin: Kysely<any>; app: FastifyInstance; base: string | undefined }> {
  const db = await startDb(t, name);
  const admin = createDb<any>(db.adminUrl, { max: 2 });
  t.teardown(() => admin.destroy());
  const app = await build(t, db, { env });
  let base: string | undefined;
  if (options.listen) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  }
  return { db, admin, app, base };
}

export interface Person {
  browser: Browser;
  userId: string;
  email: string;
  /** the account they own (made at sign-up) */
  ownAccountId: string;
  /** their member id in the account they work in now */
  memberId: string;
}

let address = 0;

export async function signUp(app: FastifyInstance, admin: Kysely<any>, email: string, base?: string): Promise<Person> {
  const browser = new Browser(app, base);
  address += 1;
  browser.address = `198.18.${Math.floor(address / 250)}.${(address % 250) + 1}`;
  const res = await browser.register(email);
  if (res.statusCode !== 200) throw new Error(`register ${email}: ${res.statusCode} ${res.body}`);
  const me = res.json();
  await admin.updateTable('gateway.users').set({ email_verified_at: new Date() }).where('id', '=', me.user.id).execute();
  app.auth.forget(me.user.id);
  return { browser, userId: me.user.id, email, ownAccountId: me.account.id, memberId: me.member.id };
}

/** Makes the person a member of the account with this role and has their session work in it. */
export async function joinAs(app: FastifyInstance, admin: Kysely<any>, person: Person, accountId: string, role: MemberRole): Promise<Person> {
  const row = await admin.insertInto('gateway.members').values({ account_id: accountId, user_id: person.userId, role }).returning('id').executeTakeFirstOrThrow();
  app.auth.forget(person.userId);
  const res = await person.browser.request('POST', '/api/auth/switch-account', { accountId });
  if (res.statusCode !== 200) throw new Error(`switch-account: ${res.statusCode} ${res.body}`);
  person.memberId = String(row.id);
  return person;
}

/** Leaves them a member of no account (their own one deleted): removal ends all their sessions. */
export async function withoutOwnAccount(app: FastifyInstance, admin: Kysely<any>, person: Person): Promise<Person> {
  await admin.deleteFrom('gateway.members').where('account_id', '=', person.ownAccountId).execute();
  await admin.deleteFrom('gateway.accounts').where('id', '=', person.ownAccountId).execute();
  app.auth.forget(person.userId);
  return person;
}

let nextSliceId = 150;
/** A slice row for the account that points at a stand-in slice listening on `port`. */
export async function standInSliceFor(app: FastifyInstance, admin: Kysely<any>, accountId: string, port: number, token = 'stand-in-token'): Promise<number> {
  const id = nextSliceId++;
  await admin.insertInto('gateway.slices').values({ id, account_id: accountId, port, token, desired_state: 'running', observed_state: 'RUNNING' }).execute();
  app.slices.invalidate(accountId);
  return id;
}
