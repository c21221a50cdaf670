// Which chats a request may see. With the account's "agents see only their chats" on, an agent
// sees the chats assigned to them and the unassigned ones, nothing else, on every route: the
// store's queries take the scope, so no route can forget it. null: everything (admins, owners,
// the system, or the setting off).
import { sql, type Expression, type SqlBool } from 'kysely';
import { AppError } from '../../lib/errors.ts';
import type { SliceDb } from './events.ts';

export type ChatScope = { memberId: string } | null;

/** The condition on a chats row (alias `alias`) that keeps what the scope may see. */
export function visibleChat(scope: ChatScope, alias = 'c'): Expression<SqlBool> {
  if (scope === null) return sql<SqlBool>`true`;
  const col = sql.ref(`${alias}.assignee_member_id`);
  return sql<SqlBool>`(${col} is null or ${col} = ${scope.memberId})`;
}

/** Whether a chat assigned to `assigneeId` (null: nobody) is visible to the scope. */
export function seesAssignee(scope: ChatScope, assigneeId: string | null): boolean {
  return scope === null || assigneeId === null || assigneeId === scope.memberId;
}

export function chatNotVisible(id: string | number): AppError {
  return new AppError('CHAT_NOT_VISIBLE', `chat ${id} not found`);
}

/** The chat's row when it exists and the scope sees it; undefined when there is no such chat. */
export async function visibleChatRow(db: SliceDb, id: string | number, scope: ChatScope) {
  const row = await db.selectFrom('chats').selectAll().where('id', '=', String(id)).executeTakeFirst();
  if (row && !seesAssignee(scope, row.assignee_member_id)) throw chatNotVisible(id);
  return row;
}

/** The chat a message (reactions, edits, media) or a note belongs to must be visible; throws CHAT_NOT_VISIBLE when not. */
export async function assertMessageVisible(db: SliceDb, messageId: string | number, scope: ChatScope): Promise<void> {
  await assertParentVisible(db, 'messages', messageId, scope);
}

export async function assertNoteVisible(db: SliceDb, noteId: string | number, scope: ChatScope): Promise<void> {
  await assertParentVisible(db, 'notes', noteId, scope);
}

async function assertParentVisible(db: SliceDb, table: 'messages' | 'notes', id: string | number, scope: ChatScope): Promise<void> {
  if (scope === null) return;
  const row = await db
    .selectFrom(`${table} as x` as 'messages as x')
    .innerJoin('chats as c', 'c.id', 'x.chat_id')
    .select(['c.id', 'c.assignee_member_id'])
    .where('x.id', '=', String(id))
    .executeTakeFirst();
  if (row && !seesAssignee(scope, row.assignee_member_id)) throw chatNotVisible(row.id);
}
