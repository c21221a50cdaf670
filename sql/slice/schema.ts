// A slice schema as Kysely sees it. The schema name is slice_{N}; tables are qualified with it
// through withSchema(), so the same code serves every slice.
import type { ChatsTable } from './chats.table.ts';
import type { ContactsTable } from './contacts.table.ts';
import type { EventsTable } from './events.table.ts';
import type { IdempotencyKeysTable } from './idempotency-keys.table.ts';
import type { ChatLabelsTable, LabelsTable } from './labels.table.ts';
import type { MediaBlobsTable, MediaTable } from './media.table.ts';
import type { MessageEditsTable } from './message-edits.table.ts';
import type { MessagesTable } from './messages.table.ts';
import type { NotesTable } from './notes.table.ts';
import type { PipelineStagesTable } from './pipeline-stages.table.ts';
import type { SyncStateTable } from './sync-state.table.ts';
import type { TeamMembersTable, TeamSettingsTable } from './team.table.ts';

export function sliceSchemaName(id: number): string {
  if (!Number.isInteger(id) || id < 1) throw new RangeError(`slice id must be a positive integer, got ${id}`);
  return `slice_${id}`;
}

export interface SliceDatabase {
  contacts: ContactsTable;
  chats: ChatsTable;
  messages: MessagesTable;
  media: MediaTable;
  media_blobs: MediaBlobsTable;
  message_edits: MessageEditsTable;
  labels: LabelsTable;
  chat_labels: ChatLabelsTable;
  notes: NotesTable;
  pipeline_stages: PipelineStagesTable;
  sync_state: SyncStateTable;
  events: EventsTable;
  team_members: TeamMembersTable;
  team_settings: TeamSettingsTable;
  idempotency_keys: IdempotencyKeysTable;
}
